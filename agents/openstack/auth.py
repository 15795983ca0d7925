"""Keystone v3 authentication for the OpenStack API agents' deep monitor.

- :class:`Credentials` from the agent's parameters, an openrc-style file
  (``parse_openrc``) or a clouds.yaml entry (``cloud_from_clouds_yaml``, read
  by a restricted YAML parser: no PyYAML in an agent's interpreter);
- :class:`TokenClient`: a v3 token (password or application credential;
  the token is the ``X-Subject-Token`` header), cached in a 0600 file until
  shortly before it expires. The file name is a hash of the non-secret auth
  parameters; the file holds a salted hash of the secret, so a changed
  password or secret is never served a stale token.

Only the deep monitor imports this module (the shallow one never does).

Example::

    creds = Credentials(auth_url="http://10.0.0.11:5000/v2.0/", username="admin",
                        password="secret", project_name="admin")
    client = TokenClient(creds, cache_dir="/run", cache_prefix="ocfpy-glance-api-p1.token-")
    token = client.token(timeout=5)        # Token(value, project_id, from_cache)
"""

import os
import time

from ocfpy.records import Record
from ocfpy_agents.openstack import http

__all__ = ["REFRESH_MARGIN", "OPENRC_NAMES", "CLOUDS_AUTH_NAMES", "SECRET_WORDS", "FIELDS",
           "SECRET_FIELDS", "CredentialsFileError", "AuthError", "Credentials", "sha256_hex",
           "auth_base", "read_secret_file", "parse_openrc", "cloud_from_clouds_yaml",
           "load_yaml", "epoch_of", "Token", "TokenClient"]


#: refresh a cached token this long before it expires (at most half its life)
REFRESH_MARGIN = 300.0

#: openrc variable -> Credentials field
OPENRC_NAMES = {
    "OS_AUTH_URL": "auth_url", "OS_USERNAME": "username", "OS_PASSWORD": "password",
    "OS_PROJECT_NAME": "project_name", "OS_TENANT_NAME": "project_name",
    "OS_PROJECT_ID": "project_id", "OS_TENANT_ID": "project_id",
    "OS_USER_DOMAIN_NAME": "user_domain_name", "OS_PROJECT_DOMAIN_NAME": "project_domain_name",
    "OS_APPLICATION_CREDENTIAL_ID": "application_credential_id",
    "OS_APPLICATION_CREDENTIAL_SECRET": "application_credential_secret",
    "OS_CACERT": "cacert",
}
#: clouds.yaml auth key -> Credentials field (same names, plus the v2 ones)
CLOUDS_AUTH_NAMES = {
    "auth_url": "auth_url", "username": "username", "password": "password",
    "project_name": "project_name", "tenant_name": "project_name", "project_id": "project_id",
    "tenant_id": "project_id", "user_domain_name": "user_domain_name",
    "project_domain_name": "project_domain_name",
    "application_credential_id": "application_credential_id",
    "application_credential_secret": "application_credential_secret",
}
#: names (lower-cased) that mark a value as secret in any credentials file
SECRET_WORDS = ("password", "secret", "token")
FIELDS = ("auth_url", "username", "password", "project_name", "project_id", "user_domain_name",
          "project_domain_name", "application_credential_id", "application_credential_secret",
          "cacert")
SECRET_FIELDS = ("password", "application_credential_secret")


class CredentialsFileError(ValueError):
    """A credentials file that cannot be used; the message names the file and
    line, never a value."""


class AuthError(Exception):
    """No token. ``kind``: "unreachable" (connection, timeout, 5xx),
    "rejected" (401) or "failed" (any other answer)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class Credentials:
    """What a token request needs. Unset fields are None."""

    __slots__ = FIELDS

    def __init__(self, **values):
        for name in FIELDS:
            setattr(self, name, values.pop(name, None) or None)
        if values:
            raise TypeError(f"unknown credential fields: {', '.join(values)}")

    @property
    def method(self):
        """ "application_credential", "password" or None (incomplete)."""
        if self.application_credential_id and self.application_credential_secret:
            return "application_credential"
        if self.username and self.password:
            return "password"
        return None

    @property
    def secret(self):
        return self.application_credential_secret if self.method == "application_credential" \
            else self.password

    def merged(self, other) -> "Credentials":
        """These values, with ``other``'s filling the unset ones."""
        return Credentials(**{n: getattr(self, n) or getattr(other, n) for n in FIELDS})

    def secrets(self) -> list:
        return [v for v in (getattr(self, n) for n in SECRET_FIELDS) if v]

    def body(self) -> dict:
        """The JSON body of POST /v3/auth/tokens."""
        if self.method == "application_credential":
            return {"auth": {"identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": self.application_credential_id,
                                           "secret": self.application_credential_secret}}}}
        auth = {"identity": {"methods": ["password"], "password": {"user": {
            "name": self.username, "domain": {"name": self.user_domain_name or "Default"},
            "password": self.password}}}}
        if self.project_id:
            auth["scope"] = {"project": {"id": self.project_id}}
        elif self.project_name:
            auth["scope"] = {"project": {"name": self.project_name,
                                         "domain": {"name": self.project_domain_name or "Default"}}}
        return {"auth": auth}

    def cache_key(self) -> str:
        """A hash of the non-secret parameters (names a cache file)."""
        text = "\0".join(str(getattr(self, n) or "") for n in FIELDS if n not in SECRET_FIELDS)
        return sha256_hex(self.method + "\0" + text)[:24]

    def __repr__(self):
        shown = {n: ("****" if n in SECRET_FIELDS else getattr(self, n))
                 for n in FIELDS if getattr(self, n)}
        return f"Credentials({shown})"


def sha256_hex(text: str) -> str:
    """SHA-256 from the builtin module when there is one (hashlib loads OpenSSL, ~3 ms)."""
    try:
        from _sha256 import sha256          # Python <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256        # Python >= 3.12
        except ImportError:
            from hashlib import sha256
    return sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def auth_base(url: str) -> str:
    """The Keystone root of an auth URL: old agents' v2.0 URLs are accepted.

    >>> auth_base("http://10.0.0.11:5000/v2.0/tokens")
    'http://10.0.0.11:5000'
    >>> auth_base("https://keystone.example/identity/v3/")
    'https://keystone.example/identity'
    """
    base = url.split("?", 1)[0].rstrip("/")
    for tail in ("/tokens", "/auth/tokens"):
        if base.endswith(tail):
            base = base[:-len(tail)]
    for version in ("/v2.0", "/v3", "/v3.0"):
        if base.endswith(version):
            base = base[:-len(version)]
            break
    return base.rstrip("/")


# -- credential files -------------------------------------------------------------------------
# Every reader takes ``on_secret`` (the agent's ``log.hide``) and calls it with
# each secret it reads BEFORE returning or raising: no later log line, exit
# reason or error message can show the value, whichever way the caller uses
# (or drops) it.
def _no_secret(value):
    return None


def _is_secret_name(name) -> bool:
    lowered = str(name).lower()
    return any(word in lowered for word in SECRET_WORDS)


def read_secret_file(path: str, on_secret=None) -> str:
    """A credentials file's text (registered whole with ``on_secret``);
    CredentialsFileError (naming the file) when unreadable."""
    try:
        # O_NONBLOCK: a FIFO planted under the name must not hang the monitor
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            if os.fstat(fh.fileno()).st_mode & 0o170000 != 0o100000:
                raise CredentialsFileError(f"{path} is not a regular file")
            text = fh.read(1 << 20).decode("utf-8")
        (on_secret or _no_secret)(text)
        return text
    except FileNotFoundError:
        raise CredentialsFileError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsFileError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def parse_openrc(text: str, path: str = "credentials file", on_secret=None) -> Credentials:
    """``[export ]OS_NAME=value`` lines (an openrc file) to Credentials.

    Quotes are removed; nothing is expanded: a value using ``$`` or
    backticks is refused (the agent never runs a shell). Other lines are
    ignored. The value of every variable whose name says PASSWORD, SECRET or
    TOKEN goes to ``on_secret`` as soon as it is read, used or not.

    >>> parse_openrc("export OS_USERNAME=admin\\nOS_PASSWORD='s3cret'\\n").method
    'password'
    """
    hide = on_secret or _no_secret
    found = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep:
            continue
        secret = _is_secret_name(name)
        if secret:
            hide(value.strip())      # the raw text, before any check that may fail
        if name not in OPENRC_NAMES:
            continue
        value = value.strip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            end = value.find(quote, 1)
            if end == -1:
                raise CredentialsFileError(f"{path} line {number}: {name} has no closing quote")
            value = value[1:end] if quote == "'" else _unescape_double(value[1:end])
            if quote == '"' and ("$" in value or "`" in value):
                raise CredentialsFileError(f"{path} line {number}: {name} uses shell expansion "
                                           "($, backticks), which is not supported: write the value")
        else:
            value = value.split(" #", 1)[0].strip()
            if "$" in value or "`" in value:
                raise CredentialsFileError(f"{path} line {number}: {name} uses shell expansion "
                                           "($, backticks), which is not supported: write the value")
        if secret:
            hide(value)
        found[OPENRC_NAMES[name]] = value
    return Credentials(**found)


def _unescape_double(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '"\\$`':
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def cloud_from_clouds_yaml(path: str, cloud: str, on_secret=None) -> Credentials:
    """The credentials of ``cloud`` in a clouds.yaml, merged with the same
    cloud in a ``secure.yaml`` beside it (where passwords often live).

    ``on_secret`` gets every value under a key saying password, secret or
    token in either file, and every value of ``cloud`` in secure.yaml (a file
    of secrets by purpose), as soon as the file is parsed."""
    hide = on_secret or _no_secret
    entry = _cloud_entry(path, cloud, required=True, on_secret=hide)
    secure = os.path.join(os.path.dirname(path), "secure.yaml")
    if os.path.exists(secure):
        extra = _cloud_entry(secure, cloud, required=False, on_secret=hide, all_secret=True)
        if extra:
            entry = _deep_merge(entry, extra)
    auth = entry.get("auth") or {}
    if not isinstance(auth, dict):
        raise CredentialsFileError(f"{path}: clouds.{cloud}.auth is not a mapping")
    values = {field: str(auth[key]) for key, field in CLOUDS_AUTH_NAMES.items()
              if auth.get(key) not in (None, "")}
    if entry.get("cacert"):
        values["cacert"] = str(entry["cacert"])
    return Credentials(**values)


def _hide_values(node, hide, everything, secret_key=False):
    """Call ``hide`` with the scalars of a parsed YAML tree that are secrets
    (under a secret-sounding key, or all of them with ``everything``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _hide_values(value, hide, everything, secret_key or _is_secret_name(key))
    elif isinstance(node, list):
        for value in node:
            _hide_values(value, hide, everything, secret_key)
    elif node is not None and (everything or secret_key):
        hide(str(node))


def _cloud_entry(path, cloud, required, on_secret=_no_secret, all_secret=False):
    doc = load_yaml(read_secret_file(path, on_secret), path)
    _hide_values(doc, on_secret, False)
    clouds = doc.get("clouds") if isinstance(doc, dict) else None
    if all_secret and isinstance(clouds, dict) and isinstance(clouds.get(cloud), (dict, list)):
        _hide_values(clouds[cloud], on_secret, True)
    if not isinstance(clouds, dict):
        if required:
            raise CredentialsFileError(f"{path}: no clouds: mapping")
        return {}
    entry = clouds.get(cloud)
    if entry is None:
        if required:
            raise CredentialsFileError(f"{path}: no cloud named {cloud!r}")
        return {}
    if not isinstance(entry, dict):
        raise CredentialsFileError(f"{path}: clouds.{cloud} is not a mapping")
    return entry


def _deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def load_yaml(text: str, path: str = "YAML file"):
    """A clouds.yaml or secure.yaml document: PyYAML's safe loader (the C one
    when available), imported only here -- only ``os_cloud`` needs it, never a
    monitor without it. Flow mappings, anchors and merge keys work; ``verify:
    false`` is a boolean. A syntax error is a CredentialsFileError naming the
    line, never quoting the file.

    >>> load_yaml("base: &b {auth_url: http://k:5000/v3}\nclouds:\n  a:\n    auth: *b\n    verify: false\n")["clouds"]["a"]["verify"]
    False
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise CredentialsFileError(f"{path}{where}: not valid YAML "
                                   f"({getattr(exc, 'problem', None) or 'syntax error'})") from None


def epoch_of(stamp: str) -> float:
    """Seconds since the epoch of Keystone's ``expires_at`` (UTC, ISO 8601).

    >>> epoch_of("1970-01-02T00:00:00.000000Z")
    86400.0
    """
    date, _, clock = stamp.strip().rstrip("Z").partition("T")
    year, month, day = (int(x) for x in date.split("-"))
    clock = clock.split("+")[0]
    h, m, s = clock.split(":")
    # days from civil (proleptic Gregorian), without importing datetime/calendar
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return days * 86400.0 + int(h) * 3600 + int(m) * 60 + float(s)


class Token(Record):
    """A token, the project it is scoped to, and whether it came from the cache."""

    __slots__ = ("value", "project_id", "expires", "from_cache")
    defaults = {"from_cache": False}

    def __repr__(self):
        return f"Token(****, project_id={self.project_id!r}, from_cache={self.from_cache})"


class TokenClient:
    """Tokens from ``creds.auth_url`` (a Keystone root or any v2.0/v3 URL).

    ``cache_dir``/``cache_prefix`` name the cache files (None: no cache);
    ``on_secret`` is called with every token obtained (to mask it in logs).
    """

    def __init__(self, creds: Credentials, cache_dir=None, cache_prefix="token-", cafile=None,
                 insecure=False, on_secret=None):
        self.creds = creds
        self.base = auth_base(creds.auth_url or "")
        self.cache_dir = cache_dir
        self.cache_prefix = cache_prefix
        self.cafile = cafile or creds.cacert
        self.insecure = insecure
        self.on_secret = on_secret or (lambda value: None)
        self.requests = 0            # token requests sent (tests, bench)

    @property
    def cache_path(self):
        if not self.cache_dir:
            return None
        return os.path.join(self.cache_dir, self.cache_prefix + self.creds.cache_key())

    def token(self, timeout: float, fresh: bool = False) -> Token:
        """A valid token: the cached one unless ``fresh`` or near expiry."""
        if not fresh:
            cached = self._load()
            if cached is not None:
                return cached
        return self._request(timeout)

    def forget(self) -> None:
        """Drop the cached token (it was refused)."""
        path = self.cache_path
        if path:
            try:
                os.unlink(path)
            except OSError:
                pass

    def reachable(self, timeout: float) -> bool:
        """Does Keystone answer at all (any status below 500 on GET /v3)?"""
        try:
            r = http.request("GET", self.base + "/v3", timeout=timeout, cafile=self.cafile,
                             insecure=self.insecure)
        except http.HTTPError:
            return False
        return r.status < 500

    # -- internals --------------------------------------------------------------------------
    def _request(self, timeout):
        url = self.base + "/v3/auth/tokens"
        self.requests += 1
        try:
            r = http.request("POST", url, json_body=self.creds.body(), timeout=timeout,
                             cafile=self.cafile, insecure=self.insecure,
                             headers={"Accept": "application/json"})
        except http.HTTPError as exc:
            raise AuthError("unreachable", f"token request failed: {exc}") from None
        if r.status >= 500:
            raise AuthError("unreachable", f"token request to {url} answered {r.status}")
        if r.status == 401:
            raise AuthError("rejected", f"{url} rejected the monitor's credentials (401)")
        if r.status != 201:
            raise AuthError("failed", f"token request to {url} answered {r.status}")
        value = r.header("x-subject-token")
        if not value:
            raise AuthError("failed", f"{url} answered 201 without an X-Subject-Token header")
        self.on_secret(value)
        try:
            token = r.json()["token"]
            expires = epoch_of(token["expires_at"])
            project_id = (token.get("project") or {}).get("id")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise AuthError("failed", f"{url} answered 201 with an unreadable token body") from None
        result = Token(value, project_id, expires)
        self._save(result)
        return result

    def _load(self):
        path = self.cache_path
        if not path:
            return None
        import json

        try:
            # no link followed, no FIFO waited on; only a file of our own user
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                if not (st.st_mode & 0o170000 == 0o100000 and st.st_uid == os.geteuid()):
                    return None
                data = json.loads(fh.read(1 << 20).decode("utf-8"))
            if isinstance(data, dict) and isinstance(data.get("token"), str):
                self.on_secret(data["token"])    # a secret even when it is not used
            value, expires = data["token"], float(data["expires"])
            salt, check, issued = data["salt"], data["check"], float(data["issued"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if check != sha256_hex(salt + "\0" + (self.creds.secret or "")):
            return None                 # the password or secret changed
        now = time.time()
        margin = min(REFRESH_MARGIN, max(0.0, expires - issued) / 2)
        if now >= expires - margin:
            return None
        return Token(value, data.get("project_id"), expires, from_cache=True)

    def _save(self, token: Token) -> None:
        path = self.cache_path
        if not path:
            return
        import json

        salt = os.urandom(16).hex()
        data = {"token": token.value, "expires": token.expires, "issued": time.time(),
                "project_id": token.project_id, "salt": salt,
                "check": sha256_hex(salt + "\0" + (self.creds.secret or ""))}
        from ocfpy.files import replace_file

        try:    # 0600 whatever the umask; nothing planted under the name is followed
            replace_file(path, json.dumps(data), mode=0o600)
        except OSError:
            pass            # a cache that cannot be written costs a token next time
