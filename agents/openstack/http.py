"""A minimal HTTP/1.1 client for monitors: one request per connection.

``http.client`` costs ~20 ms to import here (it pulls in ``email``, ``socket``
with ``enum`` and ``selectors``, ``ssl``) and ``urllib.request`` more, against
a whole agent start of ~12 ms; this module imports only the C ``_socket``
(~0.4 ms). HTTPS imports ``socket`` and ``ssl`` when a URL needs them.

Every request sends ``Connection: close`` and reads to the end of the body
(Content-Length, chunked, or end of stream); ``timeout`` bounds the whole
request, name resolution and connect included (a host name is resolved in a
thread the request waits for at most what is left of the timeout; an IP
literal is never looked up). Errors are :class:`HTTPError` subclasses whose
messages name the URL and what happened, never a header value (tokens).

A response is parsed strictly and in ASCII: a status of three ASCII digits,
lines of at most ``MAX_LINE`` bytes (status, headers, chunk sizes), a
header of at most ``MAX_HEAD`` bytes and ``MAX_HEADERS`` fields, a
Content-Length of ASCII digits; anything else is a :class:`ProtocolError`.
URLs must be ASCII (RFC 3986: percent-encode anything else).

Example::

    from ocfpy_agents.openstack import http
    r = http.request("GET", "http://127.0.0.1:5000/healthcheck", timeout=5)
    r.status, r.text()                       # (200, "OK")
    r = http.request("POST", url, json_body={"auth": ...}, timeout=5)
    r.header("x-subject-token"), r.json()
"""

import time

import _socket

from ocfpy.records import Record

__all__ = ["MAX_BODY", "MAX_LINE", "MAX_HEAD", "MAX_HEADERS", "HTTPError", "ConnectError",
           "Timeout", "ProtocolError", "InvalidURL", "Response", "split_url", "request"]


# TimeoutError from 3.10 on; socket.timeout (an OSError) before
_TIMEOUT = _socket.timeout
MAX_BODY = 4 * 1024 * 1024      # a monitor never needs more; guards memory
MAX_LINE = 8192                 # one status, header or chunk-size line
MAX_HEAD = 65536                # the whole response header
MAX_HEADERS = 100               # header fields
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
#: RFC 7230 token characters (header names)
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
_IPV6_CHARS = frozenset("0123456789abcdefABCDEF:.")


class HTTPError(Exception):
    """The request did not produce a response."""


class ConnectError(HTTPError):
    """Name resolution failed, or the connection was refused or reset."""


class Timeout(HTTPError):
    """No complete response within the timeout."""


class ProtocolError(HTTPError):
    """The peer answered something that is not HTTP/1.x (or exceeds a limit)."""


class InvalidURL(HTTPError, ValueError):
    """The URL (or a header to send) cannot be used: no request was sent.
    Also a ValueError, like :func:`split_url`'s errors."""


class Response(Record):
    """Status, lower-cased headers and the body (bytes)."""

    __slots__ = ("status", "reason", "headers", "body", "url")

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

    Only ASCII is accepted (RFC 3986; non-UTF-8 bytes, kept by Python as
    surrogates, are not ASCII either): a host of letters, digits, ``.-_``
    or a bracketed IPv6 literal, an ASCII port, a path of printable ASCII.

    >>> split_url("http://[::1]:5000/v3?x=1")
    ('http', '::1', 5000, '/v3?x=1')
    """
    if not isinstance(url, str) or not url.isascii():
        raise ValueError("must be ASCII (percent-encode other characters)")
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
        address, pct, zone = host.partition("%")
        if pct and zone.startswith("25"):        # RFC 6874: %25 before the zone
            zone = zone[2:]
        if not address or not set(address) <= _IPV6_CHARS or ":" not in address \
                or (pct and not (zone and set(zone) <= _HOST_CHARS)):
            raise ValueError("has a malformed [IPv6] host")
        host = f"{address}%{zone}" if pct else address
        port_text = tail[1:]
    else:
        host, colon, port_text = netloc.partition(":")
        if colon and not port_text:
            raise ValueError("has a malformed port")
        if host and not set(host) <= _HOST_CHARS:
            raise ValueError("has a malformed host name")
    if not host:
        raise ValueError("has no host")
    if port_text:
        if len(port_text) > 5 or not set(port_text.encode()) <= _DIGITS or not 0 < int(port_text) < 65536:
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
    ``insecure`` turns certificate checks off. A URL or header that cannot
    be sent raises :class:`InvalidURL` (an HTTPError and a ValueError).
    """
    try:
        scheme, host, port, path = split_url(url)
    except ValueError as exc:
        raise InvalidURL(f"{_shown(url)}: {exc}") from None
    end = time.monotonic() + max(0.001, timeout)
    if json_body is not None:
        import json

        body = json.dumps(json_body).encode()      # ensure_ascii: ASCII whatever the values
        headers = {"Content-Type": "application/json", **(headers or {})}
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogateescape")
    hostport = f"[{host}]" if ":" in host else host
    if port != (443 if scheme == "https" else 80):
        hostport = f"{hostport}:{port}"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {hostport}", "Connection: close",
             "User-Agent: ocfpy", "Accept: */*"]
    for name, value in (headers or {}).items():
        if not name or not set(name.encode("utf-8", "surrogateescape")) <= _TOKEN:
            raise InvalidURL(f"{url}: header name {name!r} is not a token")
        if any(c in value for c in "\r\n\0") or not value.isascii():
            # never the value in the message: it may be a token
            raise InvalidURL(f"{url}: header {name} contains a line break or non-ASCII")
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (body or b"")
    sock = _connect(scheme, host, port, end, url, cafile, insecure)
    try:
        _send(sock, payload, end, url)
        status, reason, resp_headers, reader = _read_head(sock, end, url)
        data = b"" if method == "HEAD" or status in (204, 304) \
            else _read_body(reader, resp_headers, url)
    finally:
        sock.close()
    return Response(status, reason, resp_headers, data, url)


# -- internals ------------------------------------------------------------------------
def _shown(url) -> str:
    """A URL for a message: non-ASCII (surrogates too) escaped, never raising."""
    return url.encode("ascii", "backslashreplace").decode("ascii") if isinstance(url, str) else repr(url)


def _left(end, url):
    left = end - time.monotonic()
    if left <= 0:
        raise Timeout(f"{url}: no answer in time")
    return left


def _connect(scheme, host, port, end, url, cafile, insecure):
    infos = _resolve(host, port, end, url)
    if scheme == "https":
        return _connect_tls(infos, host, end, url, cafile, insecure)
    return _connect_any(_socket.socket, infos, end, url)


def _resolve(host, port, end, url):
    """getaddrinfo inside the time budget.

    An IP literal is converted at once (AI_NUMERICHOST: no lookup). A name
    may take the resolver's timeout times its attempts times its servers
    (30 s and more with the defaults), far beyond a monitor's budget, and
    getaddrinfo cannot be interrupted: it runs in a thread (``_thread``,
    imported only here) and the request waits for it no longer than what is
    left of the timeout. A thread left behind ends with the lookup or with
    the process (agents are short-lived)."""
    name = host.encode("ascii")      # split_url allows ASCII only; bytes skip the idna codec
    try:
        return _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM, 0, _socket.AI_NUMERICHOST)
    except OSError:
        pass                         # not a literal: a name to look up
    import _thread

    done = _thread.allocate_lock()
    done.acquire()
    box = []

    def lookup():
        try:
            box.append(_socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM))
        except BaseException as exc:     # noqa: BLE001 - handed to the waiting request
            box.append(exc)
        finally:
            done.release()

    _thread.start_new_thread(lookup, ())
    if not done.acquire(True, _left(end, url)):
        raise Timeout(f"{url}: resolving {host} took longer than the timeout")
    result = box[0]
    if isinstance(result, BaseException):
        detail = getattr(result, "strerror", None) or result
        raise ConnectError(f"{url}: cannot resolve {host}: {detail}")
    if not result:
        raise ConnectError(f"{url}: cannot resolve {host}: no address")
    return result


def _connect_any(make_socket, infos, end, url):
    last = None
    for family, kind, proto, _name, address in infos:
        sock = make_socket(family, kind, proto)
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


def _connect_tls(infos, host, end, url, cafile, insecure):
    import socket
    import ssl

    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError(f"{url}: cannot load CA file {cafile}: {exc}") from None
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    raw = _connect_any(socket.socket, infos, end, url)
    try:
        raw.settimeout(_left(end, url))
        return context.wrap_socket(raw, server_hostname=host.partition("%")[0])
    except _TIMEOUT:
        raw.close()
        raise Timeout(f"{url}: TLS handshake timed out") from None
    except (OSError, ssl.SSLError) as exc:
        raw.close()
        raise ConnectError(f"{url}: TLS: {getattr(exc, 'reason', None) or exc}") from None
    except BaseException:
        raw.close()
        raise


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


class _Reader:
    """Buffered reads from the socket within the deadline, with limits."""

    __slots__ = ("sock", "end", "url", "buf", "pos")

    def __init__(self, sock, end, url, data=b""):
        self.sock, self.end, self.url = sock, end, url
        self.buf = bytearray(data)
        self.pos = 0

    def fill(self) -> bool:
        """Read more; False at the end of the stream."""
        chunk = _recv(self.sock, self.end, self.url)
        if not chunk:
            return False
        if self.pos > 65536:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += chunk
        return True

    def line(self, what) -> bytes:
        """The next CRLF-terminated line (without CRLF), at most MAX_LINE bytes."""
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i != -1:
                if i - self.pos > MAX_LINE:
                    break
                out = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return out
            if len(self.buf) - self.pos > MAX_LINE:
                break
            if not self.fill():
                raise ProtocolError(f"{self.url}: the answer ended inside a {what} line")
        raise ProtocolError(f"{self.url}: {what} line longer than {MAX_LINE} bytes")

    def exactly(self, n, what) -> bytes:
        while len(self.buf) - self.pos < n:
            if not self.fill():
                raise ProtocolError(f"{self.url}: {what} ended after "
                                    f"{len(self.buf) - self.pos} of {n} bytes")
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def rest(self) -> bytes:
        return bytes(self.buf[self.pos:])


def _ascii_int(text: bytes, digits=_DIGITS, base=10, longest=18):
    """The value of ASCII digits only (int() also takes other scripts' digits,
    "_", "+", spaces and "0x"), or None."""
    if not text or len(text) > longest or not set(text) <= digits:
        return None
    return int(text.decode("ascii"), base)


def _read_head(sock, end, url):
    reader = _Reader(sock, end, url)
    try:
        status_line = reader.line("status")
    except ProtocolError:
        if not reader.buf:
            raise ConnectError(f"{url}: connection closed without an answer") from None
        raise
    for _interim in range(10):     # 1xx interim answers (100 Continue) are skipped
        parts = status_line.split(b" ", 2)
        version = parts[0]
        status = _ascii_int(parts[1], longest=3) if len(parts) > 1 and len(parts[1]) == 3 else None
        if not (version.startswith(b"HTTP/1.") and len(version) == 8 and version[7:] in (b"0", b"1")) \
                or status is None or status < 100:
            raise ProtocolError(f"{url}: not an HTTP/1.x answer")
        reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
        headers, size = {}, len(status_line)
        while True:
            line = reader.line("header")
            if not line:
                break
            size += len(line) + 2
            if size > MAX_HEAD:
                raise ProtocolError(f"{url}: response header longer than {MAX_HEAD} bytes")
            if len(headers) >= MAX_HEADERS:
                raise ProtocolError(f"{url}: more than {MAX_HEADERS} header fields")
            name, sep, value = line.partition(b":")
            if not sep or not name or not set(name) <= _TOKEN:
                raise ProtocolError(f"{url}: malformed header line")
            headers[name.decode("ascii").lower()] = value.strip(b" \t").decode("latin-1")
        if status >= 200:
            return status, reason, headers, reader
        status_line = reader.line("status")
    raise ProtocolError(f"{url}: too many interim (1xx) answers")


def _content_length(headers, url):
    text = headers.get("content-length")
    if text is None:
        return None
    values = {v.strip() for v in text.split(",")}        # "5, 5" is allowed (RFC 9110)
    if len(values) == 1:
        value = _ascii_int(values.pop().encode("latin-1"))
        if value is not None:
            return value
    raise ProtocolError(f"{url}: malformed Content-Length")


def _read_body(reader, headers, url) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunked(reader, url)
    want = _content_length(headers, url)
    if want is not None:
        if want > MAX_BODY:
            raise ProtocolError(f"{url}: body of {want} bytes is too large")
        return reader.exactly(want, "body")
    while reader.fill():     # no length: the body ends with the connection
        if len(reader.buf) - reader.pos > MAX_BODY:
            raise ProtocolError(f"{url}: body too large")
    return reader.rest()


def _read_chunked(reader, url) -> bytes:
    out = bytearray()
    while True:
        _left(reader.end, url)          # a flood of tiny chunks also ends with the timeout
        size_line = reader.line("chunk size")
        size = _ascii_int(size_line.split(b";", 1)[0].strip(b" \t"), _HEX, 16, 16)
        if size is None:
            raise ProtocolError(f"{url}: malformed chunk size")
        if size == 0:
            return bytes(out)
        if len(out) + size > MAX_BODY:
            raise ProtocolError(f"{url}: body too large")
        out += reader.exactly(size, "chunk")
        if reader.exactly(2, "chunk") != b"\r\n":
            raise ProtocolError(f"{url}: chunk not followed by CRLF")
