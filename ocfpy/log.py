"""Logging the way Pacemaker expects from a resource agent.

Destinations, as resource-agents' shell agents use them:
- ``HA_LOGFILE``: every message at info level and above;
- ``HA_DEBUGLOG``: debug messages (and everything else) when ``HA_debug`` is "1";
- syslog with ``HA_LOGFACILITY`` (or ``PCMK_logfacility``), unless it is ``none``;
- stderr only when stderr is a terminal (an operator running the agent by hand),
  so that Pacemaker's captured stderr holds just the exit reason.

``HA_debug`` is read as the string "0" or "1" (pacemakerd passes "0").
The tag is ``agent(instance)[pid]``. Secrets registered with ``hide`` are
masked in every message.

Hot path: nothing is opened until the first message; only ``os``, ``sys`` and
``time`` are imported.

Example::

    log = Log.from_environ("dummy", "d1")
    log.hide(password)
    log.info("started on port %d", 8080)
"""


import os
import sys
import time

__all__ = ["LEVELS", "MASK", "printable", "Log", "trace_path", "Tracer"]


LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "crit": 50}
_SYSLOG_PRIORITY = {"debug": 7, "info": 6, "warning": 4, "error": 3, "crit": 2}
_FACILITIES = {"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5,
               "lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
               **{f"local{i}": 16 + i for i in range(8)}}
MASK = "****"


def printable(text: str) -> str:
    """``text`` safe to encode as UTF-8: a value that was not valid UTF-8
    (kept as surrogates by Python) is shown escaped instead of raising."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Log:
    """One agent's logger; cheap to create, opens files only when it writes."""

    def __init__(self, tag: str, logfile=None, debuglog=None, facility=None,
                 debug=False, to_stderr=False, stream=None):
        self.tag = tag
        self.logfile = logfile or None
        self.debuglog = debuglog or None
        self.facility = facility
        self.debug_enabled = debug
        self.to_stderr = to_stderr
        self.stream = stream if stream is not None else sys.stderr
        self.secrets = []
        self._syslog_open = False

    @classmethod
    def from_environ(cls, agent: str, instance: str = "", environ=None, pid=None,
                     stream=None) -> "Log":
        """``stream`` is the agent's stderr; messages go there only when it is a terminal."""
        env = os.environ if environ is None else environ
        pid = os.getpid() if pid is None else pid
        tag = f"{agent}({instance})[{pid}]" if instance else f"{agent}[{pid}]"
        facility = env.get("HA_LOGFACILITY") or env.get("PCMK_logfacility") or None
        if facility is not None and facility.lower() in ("none", "no", "off", "false", "0"):
            facility = None
        stream = sys.stderr if stream is None else stream
        try:
            interactive = stream.isatty()
        except (AttributeError, ValueError):
            interactive = False
        return cls(tag,
                   logfile=env.get("HA_LOGFILE"),
                   debuglog=env.get("HA_DEBUGLOG"),
                   facility=facility,
                   debug=env.get("HA_debug", "0").strip() == "1",
                   to_stderr=interactive, stream=stream)

    def hide(self, secret) -> None:
        """Mask ``secret`` in every later message (passwords, tokens), also
        in the escaped forms that repr() and JSON give it (a backslash or
        both kinds of quote in a password change its repr)."""
        if not secret or not isinstance(secret, str):
            return
        forms = {secret, repr(secret)[1:-1], secret.encode("unicode_escape").decode("ascii"),
                 secret.replace("\\", "\\\\").replace('"', '\\"')}
        for form in forms:
            if form and form not in self.secrets:
                self.secrets.append(form)
        self.secrets.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if len(secret) >= 4:
                text = text.replace(secret, MASK)
            else:
                # a very short secret ("x") is masked where it stands alone,
                # not inside every word that happens to contain it
                import re

                text = re.sub(r"(?<![\w])" + re.escape(secret) + r"(?![\w])", MASK, text)
        return text

    # -- the public calls -----------------------------------------------------
    def debug(self, msg, *args):
        self.log("debug", msg, *args)

    def info(self, msg, *args):
        self.log("info", msg, *args)

    def warning(self, msg, *args):
        self.log("warning", msg, *args)

    def error(self, msg, *args):
        self.log("error", msg, *args)

    def crit(self, msg, *args):
        self.log("crit", msg, *args)

    def log(self, level: str, msg, *args) -> None:
        """Write one message; never raises (a log must not fail an action)."""
        if level == "debug" and not self.debug_enabled:
            return
        try:
            self._log(level, msg, args)
        except Exception:   # noqa: BLE001 - e.g. a bad format, a closed stream
            pass

    def _log(self, level: str, msg, args) -> None:
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join([str(msg)] + [str(a) for a in args])
        text = printable(self.redact(text))
        line = f"{self.tag}: {level.upper()}: {text}"
        stamp = time.strftime("%b %d %H:%M:%S")
        if level != "debug" and self.logfile:
            self._append(self.logfile, f"{stamp} {line}\n")
        if self.debug_enabled:
            # the debug log gets everything; without one, debug lines join the log file
            target = self.debuglog or self.logfile
            if target and (level == "debug" or target != self.logfile):
                self._append(target, f"{stamp} {line}\n")
        if self.facility:
            self._syslog(level, f"{level.upper()}: {text}")
        if self.to_stderr:
            self.stream.write(line + "\n")

    def debug_text(self, text: str) -> None:
        """A multi-line debug record (a traceback), masked; only to the debug
        destinations, never to stderr."""
        if not self.debug_enabled:
            return
        try:
            self._debug_text(text)
        except Exception:   # noqa: BLE001 - never fail the action
            pass

    def _debug_text(self, text: str) -> None:
        text = printable(self.redact(text))
        stamp = time.strftime("%b %d %H:%M:%S")
        target = self.debuglog or self.logfile
        if target:
            self._append(target, "".join(f"{stamp} {self.tag}: DEBUG: {l}\n" for l in text.splitlines()))
        if self.facility:
            for l in text.splitlines():
                self._syslog("debug", f"DEBUG: {l}")

    # -- destinations ---------------------------------------------------------
    @staticmethod
    def _append(path: str, text: str) -> None:
        try:
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text)
        except (OSError, ValueError):
            pass  # a log that cannot be written must never fail the action

    def _syslog(self, level: str, text: str) -> None:
        import syslog

        if not self._syslog_open:
            facility = _FACILITIES.get(self.facility.lower(), 3) << 3
            syslog.openlog(self.tag, 0, facility)
            self._syslog_open = True
        syslog.syslog(_SYSLOG_PRIORITY[level], text)


def trace_path(environ, resource_type: str, instance: str, action: str) -> str:
    """Where a trace goes: OCF_TRACE_FILE, else <trace_dir>/<type>/<id>.<action>.<time>."""
    explicit = environ.get("OCF_TRACE_FILE", "")
    if explicit.startswith("/"):
        return explicit
    base = environ.get("OCF_RESKEY_trace_dir") or os.path.join(
        environ.get("HA_VARLIB", "/var/lib/heartbeat"), "trace_ra")
    stamp = time.strftime("%Y-%m-%d.%H:%M:%S")
    return os.path.join(base, resource_type or "unknown", f"{instance or 'none'}.{action}.{stamp}")


class Tracer:
    """Line tracing of a Python agent (resource-agents' ``set -x`` tracing does
    nothing for Python). Traces only the agent's and ocfpy's own code.

    Values are never written: a return value is shown as its type only (a
    code, a bool and None in full), because a function that read a password
    file returns the password. The trace file is created 0600 in 0700
    directories, without following a planted symlink.
    """

    def __init__(self, path: str, log: Log, roots):
        self.path = path
        self.log = log
        self.roots = tuple(roots)
        directory = os.path.dirname(path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.lstat(directory)
        if st.st_uid == os.geteuid() and st.st_mode & 0o077:
            os.chmod(directory, 0o700, follow_symlinks=False)   # made 0755 by an older tool
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        os.fchmod(fd, 0o600)
        self.fh = os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")
        self.start = time.monotonic()

    def _mine(self, filename: str) -> bool:
        return filename.startswith(self.roots)

    def __call__(self, frame, event, arg):
        code = frame.f_code
        if not self._mine(code.co_filename):
            return None
        self._event(frame, event, arg)
        return self._local

    def _local(self, frame, event, arg):
        self._event(frame, event, arg)
        return self._local

    @staticmethod
    def shown(value) -> str:
        """What a trace shows of a returned value: plain codes, else the type."""
        if value is None or isinstance(value, (bool, int)):
            return repr(value)
        return f"<{type(value).__name__}>"

    def _event(self, frame, event, arg):
        import linecache

        elapsed = time.monotonic() - self.start
        where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
        if event == "line":
            src = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
            self.fh.write(f"+ {elapsed:8.4f} {where} {self.log.redact(src)}\n")
        elif event == "call":
            self.fh.write(f"> {elapsed:8.4f} {where} {frame.f_code.co_name}()\n")
        elif event == "return":
            self.fh.write(f"< {elapsed:8.4f} {where} {frame.f_code.co_name} -> {self.shown(arg)}\n")

    def install(self):
        sys.settrace(self)

    def close(self):
        sys.settrace(None)
        self.fh.close()
