"""A minimal HTTP/1.1 client for monitors: one request per connection.

``http.client`` costs ~20 ms to import here (it pulls in ``email``, ``socket``
with ``enum`` and ``selectors``, ``ssl``) and ``urllib.request`` more, against
a whole agent start of ~12 ms; this module imports only the C ``_socket``
(~0.4 ms). HTTPS imports ``socket`` and ``ssl`` when a URL needs them.

Every request sends ``Connection: close`` and reads to the end of the body
(Content-Length, chunked, or end of stream); ``timeout`` bounds the whole
request, connect included. Errors are :class:`HTTPError` subclasses whose
messages name the URL and what happened, never a header value (tokens).

Example::

    from ocfpy import http
    r = http.request("GET", "http://127.0.0.1:5000/healthcheck", timeout=5)
    r.status, r.text()                       # (200, "OK")
    r = http.request("POST", url, json_body={"auth": ...}, timeout=5)
    r.header("x-subject-token"), r.json()
"""

import time

import _socket

# TimeoutError from 3.10 on; socket.timeout (an OSError) before
_TIMEOUT = _socket.timeout
MAX_BODY = 4 * 1024 * 1024      # a monitor never needs more; guards memory


class HTTPError(Exception):
    """The request did not produce a response."""


class ConnectError(HTTPError):
    """Name resolution failed, or the connection was refused or reset."""


class Timeout(HTTPError):
    """No complete response within the timeout."""


class ProtocolError(HTTPError):
    """The peer answered something that is not HTTP/1.x."""


class Response:
    """Status, lower-cased headers and the body (bytes)."""

    __slots__ = ("status", "reason", "headers", "body", "url")

    def __init__(self, status, reason, headers, body, url):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.url = url

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def text(self, limit=None) -> str:
        body = self.body if limit is None else self.body[:limit]
        return body.decode("utf-8", "replace")

    def json(self):
        """The body as JSON; ValueError when it is not."""
        import json

        return json.loads(self.body.decode("utf-8", "replace"))

    def __repr__(self):
        return f"Response({self.status} {self.reason!r}, {len(self.body)} bytes from {self.url})"


def split_url(url: str):
    """(scheme, host, port, path) of an http(s) URL; ValueError when malformed.

    >>> split_url("http://[::1]:5000/v3?x=1")
    ('http', '::1', 5000, '/v3?x=1')
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    cut = len(rest)
    for ch in "/?#":
        i = rest.find(ch)
        if i != -1 and i < cut:
            cut = i
    netloc, path = rest[:cut], rest[cut:].split("#", 1)[0]
    if "@" in netloc:
        raise ValueError("must not contain user:password@ (use the credential parameters)")
    if netloc.startswith("["):
        host, bracket, tail = netloc[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise ValueError("has a malformed [IPv6] host")
        port_text = tail[1:]
    else:
        host, _, port_text = netloc.partition(":")
    if not host or any(c in host for c in " \t\r\n"):
        raise ValueError("has no host")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError("has a malformed port")
        port = int(port_text)
    else:
        port = 443 if scheme == "https" else 80
    if not path.startswith("/"):
        path = "/" + path
    if any(ord(c) < 33 or c == "\x7f" for c in path):
        raise ValueError("must not contain spaces or control characters")
    return scheme, host, port, path


def request(method: str, url: str, headers=None, body=None, json_body=None, timeout=10.0,
            cafile=None, insecure=False) -> Response:
    """Send one request and read the whole response.

    ``json_body`` is serialised with Content-Type application/json. For
    https, ``cafile`` names the CA bundle (default: the system's) and
    ``insecure`` turns certificate checks off.
    """
    scheme, host, port, path = split_url(url)
    end = time.monotonic() + max(0.001, timeout)
    if json_body is not None:
        import json

        body = json.dumps(json_body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    if isinstance(body, str):
        body = body.encode()
    hostport = f"[{host}]" if ":" in host else host
    if port != (443 if scheme == "https" else 80):
        hostport = f"{hostport}:{port}"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {hostport}", "Connection: close",
             "User-Agent: ocfpy", "Accept: */*"]
    for name, value in (headers or {}).items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name.strip()!r} contains a line break")
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
    sock = _connect(scheme, host, port, end, url, cafile, insecure)
    try:
        _send(sock, payload, end, url)
        status, reason, resp_headers, rest = _read_head(sock, end, url)
        data = b"" if method == "HEAD" or status in (204, 304) or 100 <= status < 200 \
            else _read_body(sock, resp_headers, rest, end, url)
    finally:
        sock.close()
    return Response(status, reason, resp_headers, data, url)


# -- internals ------------------------------------------------------------------------
def _left(end, url):
    left = end - time.monotonic()
    if left <= 0:
        raise Timeout(f"{url}: no answer in time")
    return left


def _connect(scheme, host, port, end, url, cafile, insecure):
    if scheme == "https":
        return _connect_tls(host, port, end, url, cafile, insecure)
    # an ASCII host as bytes: a str goes through the idna codec (unicodedata, ~2 ms)
    name = host.encode("ascii") if host.isascii() else host
    try:
        infos = _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM)
    except OSError as exc:
        raise ConnectError(f"{url}: cannot resolve {host}: {exc.strerror or exc}") from None
    last = None
    for family, kind, proto, _name, address in infos:
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(_left(end, url))
            sock.connect(address)
            return sock
        except _TIMEOUT:
            sock.close()
            raise Timeout(f"{url}: connection timed out") from None
        except OSError as exc:
            sock.close()
            last = exc
        except BaseException:
            sock.close()
            raise
    raise ConnectError(f"{url}: {_describe(last)}")


def _connect_tls(host, port, end, url, cafile, insecure):
    import socket
    import ssl

    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError(f"{url}: cannot load CA file {cafile}: {exc}") from None
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        raw = socket.create_connection((host, port), timeout=_left(end, url))
    except _TIMEOUT:
        raise Timeout(f"{url}: connection timed out") from None
    except OSError as exc:
        raise ConnectError(f"{url}: {_describe(exc)}") from None
    try:
        raw.settimeout(_left(end, url))
        return context.wrap_socket(raw, server_hostname=host)
    except _TIMEOUT:
        raw.close()
        raise Timeout(f"{url}: TLS handshake timed out") from None
    except (OSError, ssl.SSLError) as exc:
        raw.close()
        raise ConnectError(f"{url}: TLS: {getattr(exc, 'reason', None) or exc}") from None


def _describe(exc) -> str:
    if exc is None:
        return "no address to connect to"
    names = {111: "connection refused", 113: "no route to host", 101: "network unreachable",
             104: "connection reset", 110: "connection timed out"}
    return names.get(exc.errno, exc.strerror or str(exc))


def _send(sock, payload, end, url):
    try:
        sock.settimeout(_left(end, url))
        sock.sendall(payload)
    except _TIMEOUT:
        raise Timeout(f"{url}: timed out sending the request") from None
    except OSError as exc:
        raise ConnectError(f"{url}: {_describe(exc)}") from None


def _recv(sock, end, url) -> bytes:
    try:
        sock.settimeout(_left(end, url))
        return sock.recv(65536)
    except _TIMEOUT:
        raise Timeout(f"{url}: timed out waiting for the answer") from None
    except OSError as exc:
        raise ConnectError(f"{url}: {_describe(exc)}") from None


def _read_head(sock, end, url):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = _recv(sock, end, url)
        if not chunk:
            if not buf:
                raise ConnectError(f"{url}: connection closed without an answer")
            raise ProtocolError(f"{url}: incomplete response header")
        buf += chunk
        if len(buf) > 65536 and b"\r\n\r\n" not in buf:
            raise ProtocolError(f"{url}: response header too long")
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"{url}: not an HTTP/1.x answer")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), parts[2] if len(parts) > 2 else "", headers, rest


def _read_body(sock, headers, data, end, url) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunked(sock, data, end, url)
    length = headers.get("content-length")
    if length is not None and length.isdigit():
        want = int(length)
        if want > MAX_BODY:
            raise ProtocolError(f"{url}: body of {want} bytes is too large")
        while len(data) < want:
            chunk = _recv(sock, end, url)
            if not chunk:
                raise ProtocolError(f"{url}: body ended after {len(data)} of {want} bytes")
            data += chunk
        return data[:want]
    while True:     # no length: the body ends with the connection
        chunk = _recv(sock, end, url)
        if not chunk:
            return data
        data += chunk
        if len(data) > MAX_BODY:
            raise ProtocolError(f"{url}: body too large")


def _read_chunked(sock, data, end, url) -> bytes:
    out = b""
    while True:
        while b"\r\n" not in data:
            chunk = _recv(sock, end, url)
            if not chunk:
                raise ProtocolError(f"{url}: chunked body ended early")
            data += chunk
        size_line, _, data = data.partition(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProtocolError(f"{url}: malformed chunk size") from None
        if size == 0:
            return out
        if len(out) + size > MAX_BODY:
            raise ProtocolError(f"{url}: body too large")
        while len(data) < size + 2:
            chunk = _recv(sock, end, url)
            if not chunk:
                raise ProtocolError(f"{url}: chunked body ended early")
            data += chunk
        out += data[:size]
        data = data[size + 2:]
