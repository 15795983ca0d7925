"""One implementation of an OpenStack API service agent (keystone, glance-api,
cinder-api, manila-api): the agents in ``agents/`` only set their defaults
and their authenticated check.

The HA guide's parameters are accepted verbatim (config, os_username,
os_password, os_tenant_name, os_auth_url, keystone_get_token_url, url,
binary, user, pid, additional_parameters, client_binary), so its
``crm configure`` lines work; modern additions: domains, application
credentials, an openrc-style credentials file or a clouds.yaml entry,
start_command for WSGI servers, healthcheck_url.

Hot path: a level-0 monitor imports ``ocfpy.process`` (pid file and /proc
identity, no psutil) and ``ocfpy_agents.openstack.http`` (``_socket``, no http.client); the
command line is split by ``split_command`` (no shlex, hence no ``re``). The deep monitor adds
``ocfpy_agents.openstack.auth`` and ``json``; start/stop add subprocess/psutil.

Example (an agent)::

    class GlanceAPI(OpenStackAPI):
        name = "glance-api"
        binary, config, user, url = service_parameters(
            binary="glance-api", config="/etc/glance/glance-api.conf",
            user="glance", url="http://127.0.0.1:9292/")
        api_check = "/v2/images?limit=1"
    main = GlanceAPI.main
"""

import os

from ocfpy import codes
from ocfpy.agent import Action, Agent
from ocfpy.errors import OCFError
from ocfpy.parameters import Boolean, Duration, Path, Select, String, User
from ocfpy.process import ProcessRecord, exiting

__all__ = ["DISABLED_BY_FILE", "LONGDESC", "service_parameters", "split_command", "OpenStackAPI",
           "read_pid", "remove_file", "url_key", "ServiceRecord", "write_record", "read_record",
           "describe_process", "resembles"]


#: environment variables never passed to the service (parameters hold secrets)
_PRIVATE_ENV_PREFIXES = ("OCF_", "HA_", "PCMK_", "CRM_")
DISABLED_BY_FILE = "disabled by file"

LONGDESC = """Starts, stops and monitors the OpenStack {what} API service.

Start: runs start_command (split like a shell would, but never run by one:
no variables, no redirections), or else "binary --config-file config"
followed by additional_parameters, as user, detached, its output going to
log_file; records its pid in pid; returns once the health check passes, or
fails at once with the program's exit status when it dies while starting.
Do not let the program daemonize itself (uwsgi daemonize, gunicorn --daemon):
the agent must know the pid of the process it started. Stop: stop_signal
(INT for uWSGI, which reloads on TERM; TERM otherwise) to the process and its
children, then KILL before the operation times out. Start records the process
it started (pid, start time, command line, owner) in a root-owned file in
Pacemaker's run directory: stop and monitor know it by that record (pid and
start time prove it is the same process) even when start_command,
additional_parameters, user or the pid file changed since. Without a record
(a service started otherwise) the process is identified by its pid file AND
its command line and owner, so a stale pid file never makes the agent signal
an unrelated process that reused the pid; when the pid file names a process
that runs the same program as the same user but is neither recorded nor
matching, stop leaves it alone and fails (1) rather than report a running
service stopped. Do not rewrite the process title (uwsgi procname, gunicorn
setproctitle). Files root opens in the service user's directories (log_file,
pid) are never followed through a symlink, a hard link or a FIFO.

Monitor: the process is alive, then GET healthcheck_url (oslo.middleware
/healthcheck; when the default URL answers 404 or 401, version discovery
GET url -> 200 or 300). With OCF_CHECK_LEVEL 10 or more and credentials set, also a
Keystone v3 token (password or application credential, cached in a 0600 file
under the run directory until shortly before it expires) and one cheap
authenticated call: {check}.

Return codes of monitor:
- 7 when the process is gone (or the pid file names another process);
- 1 when the process lives but the health check fails, times out (a hung
  service) or the authenticated call fails while Keystone answers;
- 190 (degraded, OCF 1.1) when the health check answers 503 "disabled by
  file": an operator drained this node on purpose (oslo.middleware
  disable_by_file); a restart would not remove the file and would fail, so
  the service is left running and crm_mon shows the reason;
- 190 when the service answers its health check but Keystone cannot be
  reached (refused, timeout, 5xx) or rejects the monitor's credentials: the
  service is not at fault, and restarting every API service because Keystone
  is down would turn one outage into a cascade. {keystone_note}

Credentials, by precedence: the parameters (os_username/os_password or
os_application_credential_id/_secret), then os_credentials_file (an openrc
file: "export OS_PASSWORD=..." lines; quotes are removed, nothing is
expanded), then os_cloud in os_client_config_file (clouds.yaml, and
secure.yaml beside it; read by a restricted YAML parser: block mappings and
lists, quoted or plain scalars, comments). Keep secrets out of the CIB with
one of the files (mode 0600). Secrets never reach a command line, the
service's environment, a log or an exit reason.

Old v2.0 URLs (os_auth_url=http://vip:5000/v2.0/, keystone_get_token_url=
http://vip:5000/v2.0/tokens) are accepted: the Keystone root is derived from
them and v3 is used. client_binary is ignored."""


def service_parameters(binary, config, user, url):
    """The four parameters whose defaults differ per service, as a tuple
    (binary, config, user, url) for an agent class body to unpack."""
    return (
        Path("binary", kind="executable", default=binary,
             shortdesc="Program to run when start_command is not set",
             longdesc=f"Started as: binary --config-file config additional_parameters. "
                      f"Default: {binary}."),
        Path("config", kind="file", default=config,
             shortdesc="The service's configuration file",
             longdesc="Must exist when it is used (no start_command) or set explicitly; "
                      f"default {config}."),
        # checked in validate_node, after the program: a node without the
        # service has neither, and "not installed" (5) is the useful answer
        String("user", default=user,
               shortdesc="User the service runs as",
               longdesc='Empty: the user running the agent (root). A user that does not exist '
                        'on the node is an error (2) there.'),
        String("url", default=url,
               shortdesc="Base URL of this node's service instance",
               longdesc="Where the health check and the authenticated call go, e.g. "
                        f"{url}. A trailing API version (/v1, /v2, /v2.0, /v3, as the old "
                        "agents' values have) is ignored."),
    )


def split_command(text: str) -> list:
    """Split a command line like ``shlex.split`` (POSIX rules: whitespace,
    'single' and "double" quotes, backslash escapes; no comments), without
    importing shlex, which pulls in ``re`` and ``enum`` (~5 ms) on every
    monitor. ValueError for an unclosed quote or a trailing backslash.

    >>> split_command("uwsgi --ini '/etc/my app.ini' --die-on-term")
    ['uwsgi', '--ini', '/etc/my app.ini', '--die-on-term']
    """
    words, word, in_word, i, n = [], [], False, 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        elif c == "'":
            end = text.find("'", i + 1)
            if end == -1:
                raise ValueError("no closing quotation")
            word.append(text[i + 1:end])
            in_word, i = True, end
        elif c == '"':
            in_word, i = True, i + 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                word.append(text[i])
                i += 1
            if i >= n:
                raise ValueError("no closing quotation")
        elif c == "\\":
            if i + 1 >= n:
                raise ValueError("no escaped character")
            word.append(text[i + 1])
            in_word, i = True, i + 1
        else:
            word.append(c)
            in_word = True
        i += 1
    if in_word:
        words.append("".join(word))
    return words


def _split_command(text, what):
    try:
        return split_command(text)
    except ValueError as exc:
        raise OCFError(codes.ERR_CONFIGURED, f"parameter {what}: cannot split the command "
                                             f"line ({exc})") from None


def _strip_version(url: str) -> str:
    base = url.split("?", 1)[0].rstrip("/")
    last = base.rsplit("/", 1)[-1]
    if len(last) > 1 and last[0] == "v" and last[1:].replace(".", "").isdigit() \
            and base.count("/") > 2:
        base = base[:-len(last) - 1]
    return base


class OpenStackAPI(Agent):
    """Base of the OpenStack API agents (abstract: no ``name``)."""

    provider = "openstack"
    version = "2.0"
    #: the authenticated call: a path below url ("{project_id}" is replaced)
    api_check = ""
    #: extra headers of that call
    api_check_headers = {}
    #: statuses of the authenticated call that mean "this token is stale"
    stale_token_statuses = (401,)
    #: True for keystone: it authenticates against itself
    is_identity = False

    # -- the service process ----------------------------------------------------------------
    config = Path("config", kind="file")
    binary = Path("binary", kind="executable")
    start_command = String("start_command",
                           shortdesc="Command line that runs the service (WSGI servers)",
                           longdesc='E.g. "uwsgi --ini /etc/keystone/keystone-uwsgi.ini" or '
                                    '"gunicorn --bind 10.0.0.12:9292 glance.wsgi.api:application". '
                                    "Split like a shell would (quotes), never run by one. "
                                    "Replaces binary/config; additional_parameters is appended.")
    additional_parameters = String("additional_parameters",
                                   shortdesc="Extra arguments for the service",
                                   longdesc="Appended to the command line (split like a shell would).")
    user = String("user")
    pid = Path("pid", unique=True, shortdesc="Pid file",
               longdesc="Default: a file named after the resource in Pacemaker's run directory "
                        "(HA_VARRUN, /run).")
    log_file = Path("log_file", shortdesc="File receiving the service's stdout and stderr",
                    longdesc="Default: /var/log/ocfpy/<agent>-<resource>.log. Its tail goes to "
                             "the debug log when start fails.")
    stop_signal = Select("stop_signal", options=("auto", "TERM", "INT", "QUIT"), default="auto",
                         shortdesc="First signal stop sends",
                         longdesc="auto: INT when the program is uwsgi (uWSGI 2.0 reloads on TERM "
                                  "unless die-on-term is set), TERM otherwise. KILL follows "
                                  "before the stop timeout.")
    # -- health ---------------------------------------------------------------------------------
    url = String("url")
    healthcheck_url = String("healthcheck_url",
                             shortdesc="URL of the unauthenticated health check",
                             longdesc="Default: url + /healthcheck, falling back to version "
                                      "discovery (GET url: 200 or 300) when that answers 404 or "
                                      "401. Give the root URL to use version discovery only.")
    healthcheck_timeout = Duration("healthcheck_timeout", default=10.0,
                                   shortdesc="Longest wait for one HTTP request of a monitor",
                                   longdesc="Also capped by the operation's timeout. A service "
                                            "that does not answer within it is failed (1).")
    # -- authenticated check (OCF_CHECK_LEVEL >= 10) ----------------------------------------------
    os_auth_url = String("os_auth_url", shortdesc="Keystone URL (v3; v2.0 URLs are accepted)",
                         longdesc="E.g. http://10.0.0.11:5000/v3. Keystone's own agent "
                                  "authenticates against url (this node's instance) instead.")
    os_username = String("os_username", shortdesc="User of the authenticated check")
    os_password = String("os_password", private=True, shortdesc="Password of os_username",
                         longdesc="Prefer os_credentials_file or os_cloud: a file keeps it out "
                                  "of the CIB.")
    os_project_name = String("os_project_name", shortdesc="Project to scope the token to")
    os_user_domain_name = String("os_user_domain_name", default="Default",
                                 shortdesc="Domain of os_username")
    os_project_domain_name = String("os_project_domain_name", default="Default",
                                    shortdesc="Domain of os_project_name")
    os_application_credential_id = String("os_application_credential_id",
                                          shortdesc="Application credential id (instead of a password)")
    os_application_credential_secret = String("os_application_credential_secret", private=True,
                                              shortdesc="Application credential secret")
    os_credentials_file = Path("os_credentials_file",
                               shortdesc="openrc-style file with the credentials",
                               longdesc='Lines "[export ]OS_NAME=value": OS_AUTH_URL, OS_USERNAME, '
                                        "OS_PASSWORD, OS_PROJECT_NAME (or OS_TENANT_NAME), "
                                        "OS_PROJECT_ID, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME, "
                                        "OS_APPLICATION_CREDENTIAL_ID, "
                                        "OS_APPLICATION_CREDENTIAL_SECRET, OS_CACERT. Quotes are "
                                        "removed; $ and backticks are refused (no shell). "
                                        "Parameters set in the CIB take precedence.")
    os_cloud = String("os_cloud", shortdesc="Cloud name in os_client_config_file")
    os_client_config_file = Path("os_client_config_file", default="/etc/openstack/clouds.yaml",
                                 shortdesc="clouds.yaml read for os_cloud",
                                 longdesc="secure.yaml in the same directory is merged in.")
    os_cacert = Path("os_cacert", shortdesc="CA bundle for https URLs")
    os_insecure = Boolean("os_insecure", default=False,
                          shortdesc="Do not verify https certificates")
    token_cache = Boolean("token_cache", default=True,
                          shortdesc="Reuse the token until shortly before it expires",
                          longdesc="Kept in a 0600 file in the run directory, removed on stop. "
                                   "false: a new token on every deep monitor.")
    # -- the old agents' names --------------------------------------------------------------------
    os_tenant_name = String("os_tenant_name", deprecated="use os_project_name",
                            replaced_with="os_project_name",
                            shortdesc="Old name of os_project_name")
    keystone_get_token_url = String("keystone_get_token_url", deprecated="use os_auth_url",
                                    replaced_with="os_auth_url",
                                    shortdesc="Old name of os_auth_url (a v2.0 token URL is accepted)")
    client_binary = String("client_binary", deprecated="ignored: the check uses HTTP, no client",
                           shortdesc="Ignored (the old agents' CLI client)")

    actions = (
        Action("start", timeout=60),
        Action("stop", timeout=30),
        Action("monitor", timeout=30, interval=30, depth=0),
        Action("monitor", timeout=30, interval=60, depth=10),
    )

    # -- checks ---------------------------------------------------------------------------------
    def validate_config(self):
        from ocfpy_agents.openstack.http import split_url

        for name in ("url", "healthcheck_url", "os_auth_url"):
            value = getattr(self, name)
            if value:
                try:
                    split_url(value)
                except ValueError as exc:
                    self.fail(codes.ERR_CONFIGURED, f"parameter {name}: {exc}")
        if not self.url:
            self.fail(codes.ERR_CONFIGURED, "parameter url: must not be empty")
        if self.start_command is not None and self.start_command.strip():
            if not _split_command(self.start_command, "start_command"):
                self.fail(codes.ERR_CONFIGURED, "parameter start_command: no program given")
        _split_command(self.additional_parameters or "", "additional_parameters")
        given = self.invocation.params
        if not (given.get("os_credentials_file") or given.get("os_cloud")):
            if self.os_password and not self.os_username:
                self.fail(codes.ERR_CONFIGURED, "os_password is set but os_username is not")
            if self.os_username and not self.os_password and not self.os_application_credential_id:
                self.fail(codes.ERR_CONFIGURED, "os_username is set but os_password is not "
                                                "(or use os_credentials_file / os_cloud)")
            if bool(self.os_application_credential_id) != bool(self.os_application_credential_secret):
                self.fail(codes.ERR_CONFIGURED, "os_application_credential_id and "
                                                "os_application_credential_secret go together")

    def validate_node(self):
        if self.action == "stop":
            return          # stop needs only the pid file: never fail it for this node's state
        argv = self.command()
        program = self.program(argv)
        if program is None:
            self.fail(codes.ERR_INSTALLED, f"program {argv[0]} not found or not executable")
        if not self.start_command or "config" in self.invocation.params:
            if not os.path.exists(self.config):
                self.fail(codes.ERR_INSTALLED, f"configuration file {self.config} does not exist")
            if not os.path.isfile(self.config):
                self.fail(codes.ERR_ARGS, f"configuration file {self.config} is not a file")
        User("user").check_node(self.user)
        if self.action == "start" and self.user and os.geteuid() != 0:
            import pwd

            if pwd.getpwuid(os.geteuid()).pw_name != self.user:
                self.fail(codes.ERR_PERM, f"starting as user {self.user} needs root")
        if self.deep_check_wanted or (self.action == "validate-all" and self.invocation.check_level >= 10):
            self.credentials()      # files present and readable

    # -- derived values -------------------------------------------------------------------------
    def command(self) -> list:
        """The service's argv, as given (argv[0] not yet resolved)."""
        extra = _split_command(self.additional_parameters or "", "additional_parameters")
        if self.start_command and self.start_command.strip():
            return _split_command(self.start_command, "start_command") + extra
        return self.default_command() + extra

    def default_command(self) -> list:
        """Without start_command (the old agents' command line)."""
        return [self.binary, "--config-file", self.config]

    def program(self, argv):
        """argv[0] resolved on the agent's PATH, or None."""
        from ocfpy.parameters import which

        return which(argv[0], self.invocation.environ.get("PATH"))

    def resolved_command(self) -> list:
        argv = self.command()
        return [self.program(argv) or argv[0]] + argv[1:]

    def identity(self, argv=None):
        """Our process: its full command line (with the resolved program) and
        owner -- always an owner: an empty user means the agent's own (root),
        never "anybody".

        exe is not used: a script's /proc exe is its interpreter."""
        from ocfpy.process import Identity

        argv = argv or self.resolved_command()
        return Identity(cmdline_contains=tuple(argv), user=self.owner_name())

    def owner_name(self) -> str:
        """The user the service runs as: ``user``, or the agent's effective
        user when it is empty (named as ocfpy.process names owners)."""
        if self.user:
            return self.user
        import pwd

        try:
            return pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:
            return str(os.geteuid())

    def service_uid(self) -> int:
        """The uid of owner_name (-1 when the user does not exist)."""
        if not self.user:
            return os.geteuid()
        import pwd

        try:
            return pwd.getpwnam(self.user).pw_uid
        except (KeyError, UnicodeError):
            return -1

    @property
    def record_path(self) -> str:
        """Root's record of the process start launched (see ProcessRecord)."""
        return self.state_path("process")

    @property
    def pid_file(self) -> str:
        return self.pid or self.state_path("pid")

    @property
    def log_path(self) -> str:
        return self.log_file or f"/var/log/ocfpy/{self.name}-{self.invocation.instance or 'default'}.log"

    @property
    def base_url(self) -> str:
        return _strip_version(self.url)

    @property
    def health_url(self) -> str:
        return self.healthcheck_url or self.base_url + "/healthcheck"

    @property
    def deep_check_wanted(self) -> bool:
        return (self.action == "monitor" and self.invocation.check_level >= 10
                and not self.is_probe and self.credentials_configured)

    @property
    def credentials_configured(self) -> bool:
        return bool(self.os_username or self.os_application_credential_id
                    or self.os_credentials_file or self.os_cloud)

    def request_timeout(self) -> float:
        return max(0.05, min(self.healthcheck_timeout, self.deadline.remaining()))

    def running_pid(self):
        """The pid of our live process, or None (/proc only, no psutil): the
        process start recorded (pid and start time prove it), else the pid
        file's process when its command line and owner are today's."""
        record = read_record(self.record_path)
        if record is not None and record.alive():
            return record.pid
        pid = read_pid(self.pid_file)
        if pid is not None and self.identity().matches_pid(pid):
            return pid
        return None

    # -- actions -----------------------------------------------------------------------------------
    def start(self):
        from ocfpy import process

        pid = self.running_pid()
        child = False
        if pid is None:
            argv = self.resolved_command()
            self.make_dirs()
            pid = self.launch(argv)
            child = True
            self.log.info("started %s (pid %d) as %s", os.path.basename(argv[0]), pid,
                          self.user or "the agent's user")
        else:
            self.log.info("already running (pid %d); waiting for its health check", pid)
        last = ["no answer yet"]

        def ready():
            if not process.alive(pid):
                return "dead"
            rc, reason = self.health()
            last[0] = reason
            return rc in (codes.SUCCESS, codes.DEGRADED) and process.alive(pid)

        outcome = self.deadline.wait_for(ready, interval=0.1, max_interval=1.0)
        if outcome == "dead":
            status = self.reap(pid) if child else ""
            hint = " (it must not daemonize itself)" if status == " with status 0" else ""
            self.log_tail()
            self.fail(codes.ERR_GENERIC, f"{self.name} exited during start{status}{hint}; "
                                         f"see {self.log_path}")
        if not outcome:
            self.fail(codes.ERR_GENERIC, f"{self.name} (pid {pid}) not healthy before the start "
                                         f"timeout: {last[0]}")
        if last[0]:
            self.log.warning("started, but %s", last[0])
        return codes.SUCCESS

    def launch(self, argv) -> int:
        """start_daemon, then the record of what was started; on any failure
        nothing is left running (a child whose pid file could not be written
        would be lost to stop)."""
        from ocfpy import process
        from ocfpy.files import UnsafeFileError

        children = set(process.descendants(os.getpid()))
        try:
            pid = process.start_daemon(argv, pidfile=self.pid_file, user=self.user or None,
                                       env=self.service_environ(), log_path=self.log_path,
                                       cwd="/")
        except BaseException as exc:
            _end_children(self.deadline, children)
            if isinstance(exc, UnsafeFileError):
                self.fail(codes.ERR_PERM, f"not starting {self.name}: {exc.strerror} (root does "
                                          "not open files in the service user's directories "
                                          "through links)")
            if isinstance(exc, PermissionError):
                self.fail(codes.ERR_PERM, f"cannot start {argv[0]}: {exc.strerror}"
                                          + (f": {exc.filename}" if exc.filename else ""))
            if isinstance(exc, OSError):
                self.fail(codes.ERR_GENERIC, f"cannot start {argv[0]}: {exc.strerror or exc}")
            raise
        try:
            write_record(self.record_path, pid, argv=argv, user=self.owner_name(),
                         uid=self.service_uid(), pidfile=self.pid_file, url=self.url,
                         instance=self.invocation.instance or "default")
        except OSError as exc:
            process.terminate(pid, self.deadline)
            self.fail(codes.ERR_PERM, f"cannot record the started process in {self.record_path}: "
                                      f"{exc.strerror or exc}")
        return pid

    def stop(self):
        """Stop what start started, whatever today's parameters say.

        Targets, in order of proof: the process recorded at start (pid +
        start time: the same process, even when start_command,
        additional_parameters or user changed since); the pid file's process
        when a record of this agent for the same pid file names it (another
        instance name) or its command line and owner are today's; when this
        instance has no record at all (it never started here: a renamed
        instance, a manual run under another name), a live record of this
        agent with today's exact command line and owner.

        A live process the pid file names that nothing proves ours is never
        signalled and its pid file is kept. Stop then fails (1; Pacemaker
        recovers the node) rather than report a running service stopped when
        the evidence is strong and trustworthy: the process runs the
        service's program as the service's user AND the pid file is root's
        in a directory only root can write (written by an agent's start, not
        by the service user). Otherwise (another program or user: a pid
        reused; or a pid file the service user could have rewritten, which
        must not let it get the node fenced) stop answers 0 with a warning
        and an exit reason naming the process."""
        from ocfpy import process

        records, targets = [], {}
        own = read_record(self.record_path)
        if own is not None:
            records.append(own)
            if own.alive():
                targets[own.pid] = own
        pid = read_pid(self.pid_file)
        stranger = None
        if pid is not None and pid not in targets and process.alive(pid):
            other = next((r for r in self.agent_records() if r.pid == pid and r.alive()
                          and r.pidfile == self.pid_file), None)
            if other is not None:
                records.append(other)
                targets[pid] = other
            elif self.identity().matches_pid(pid):
                targets[pid] = None
            elif not (own is not None and own.pid == pid and own.pidfile == self.pid_file):
                stranger = pid      # (else: our own pid file, its pid since reused: stale)
        if own is None and not targets and stranger is None:
            argv, owner = self.resolved_command(), self.owner_name()
            for other in self.agent_records():
                if other.argv == argv and other.user == owner and other.alive():
                    self.log.info("pid %d runs this command line, started by this agent as "
                                  "resource %s: stopping it", other.pid, other.instance)
                    records.append(other)
                    targets[other.pid] = other
        for target, record in targets.items():
            argv0 = record.argv[0] if record is not None and record.argv else None
            if not process.terminate(target, self.deadline, sig=self.first_signal(argv0)):
                self.fail(codes.ERR_GENERIC, f"{self.name} (pid {target}) still running after KILL")
        self.forget_tokens()
        for record in records:
            if not record.alive():
                remove_file(record.path)
        if stranger is not None and process.alive(stranger):
            return self.stop_stranger(stranger, own)
        remove_in_dir(self.pid_file)
        return codes.SUCCESS

    def stop_stranger(self, pid, record):
        """The pid file names a live process nothing proves ours (see stop)."""
        what = describe_process(pid)
        user = record.user if record is not None else self.owner_name()
        if resembles(pid, self.expected_programs(record), user) and root_only_file(self.pid_file):
            self.fail(codes.ERR_GENERIC, f"pid file {self.pid_file} names pid {pid} ({what}), which "
                                         f"runs {self.name}'s program but was not started with these "
                                         "parameters and has no start record: not signalled; "
                                         "stop it by hand or restore its parameters")
        reason = (f"pid file {self.pid_file} names pid {pid} ({what}), which nothing proves is "
                  f"this {self.name}: left running, pid file kept")
        self.log.warning("%s", reason)
        self.set_exit_reason(reason)
        return codes.SUCCESS

    def expected_programs(self, record) -> set:
        names = set()
        if record is not None and record.argv:
            names.add(os.path.basename(record.argv[0]))
        try:
            names.add(os.path.basename(self.resolved_command()[0]))
        except OCFError:
            pass
        return names - {""}

    def first_signal(self, argv0=None) -> int:
        sig = {"TERM": 15, "INT": 2, "QUIT": 3}.get(self.stop_signal)
        if sig is not None:
            return sig
        if argv0 is None:
            try:
                argv0 = self.command()[0]
            except OCFError:
                argv0 = ""
        return 2 if os.path.basename(argv0) == "uwsgi" else 15   # auto

    def agent_records(self) -> list:
        """Every record of this agent type in the run directory (any instance)."""
        directory = os.path.dirname(self.record_path)
        prefix, found = f"ocfpy-{self.name}-", []
        try:
            names = os.listdir(directory)
        except OSError:
            return found
        for name in names:
            if name.startswith(prefix) and name.endswith(".process"):
                record = read_record(os.path.join(directory, name))
                if record is not None:
                    found.append(record)
        return found

    def stop_unvalidated(self, error):
        """A stop whose parameters no longer validate (start_command with an
        unclosed quote, a malformed URL...) still stops the process its
        record proves was started; the framework then answers 0."""
        record = read_record(self.record_path)
        if record is None or not record.alive():
            return
        from ocfpy import process

        self.log.warning("stop: %s; stopping the process recorded at start (pid %d) anyway",
                         error.reason, record.pid)
        argv0 = record.argv[0] if record.argv else ""
        sig = 2 if os.path.basename(argv0) == "uwsgi" else 15
        if not process.terminate(record.pid, self.deadline, sig=sig):
            self.fail(codes.ERR_GENERIC, f"{self.name} (pid {record.pid}) still running after KILL")
        remove_file(record.path)
        if read_pid(record.pidfile) in (record.pid, None):
            remove_in_dir(record.pidfile)

    def monitor(self):
        pid = self.running_pid()
        if pid is None:
            return codes.NOT_RUNNING
        rc, reason = self.health()
        if rc == codes.ERR_GENERIC and exiting(pid):
            # killed while we asked: it refused the check on its way out
            return codes.NOT_RUNNING
        if rc == codes.SUCCESS and self.deep_check_wanted:
            rc, reason = self.deep_check()
        if reason:
            self.set_exit_reason(reason)
        return rc

    # -- health -----------------------------------------------------------------------------------
    def health(self):
        """(rc, reason) of the unauthenticated check: (0, ""), (190, why) or (1, why)."""
        from ocfpy_agents.openstack import http

        url = self.health_url
        try:
            r = http.request("GET", url, timeout=self.request_timeout(),
                             headers={"Accept": "text/plain"}, **self.tls())
            if r.status in (404, 401) and not self.healthcheck_url:
                url = self.base_url + "/"
                r = http.request("GET", url, timeout=self.request_timeout(),
                                 headers={"Accept": "application/json"}, **self.tls())
        except http.Timeout:
            return codes.ERR_GENERIC, (f"health check {url}: no answer within "
                                       f"{self.request_timeout():g}s (service hung?)")
        except http.HTTPError as exc:
            return codes.ERR_GENERIC, f"health check failed: {exc}"
        if 200 <= r.status < 300 or r.status == 300:
            return codes.SUCCESS, ""
        body = " ".join(r.text(300).split())[:120]
        if r.status == 503 and DISABLED_BY_FILE in body.lower():
            return codes.DEGRADED, (f"health check {url} disabled by file (node drained on "
                                    "purpose); the service keeps running")
        return codes.ERR_GENERIC, f"health check {url} answered {r.status}" + (f": {body}" if body else "")

    def tls(self) -> dict:
        return {"cafile": self.os_cacert, "insecure": self.os_insecure}

    # -- authenticated check ------------------------------------------------------------------------
    def credentials(self):
        """Credentials from the parameters, then the files (OCFError 5/2 on bad files)."""
        if "_creds" in self.__dict__:
            return self._creds
        from ocfpy_agents.openstack import auth

        given = self.invocation.params
        own = {
            "auth_url": self.base_url if self.is_identity else self.os_auth_url,
            "username": self.os_username, "password": self.os_password,
            "project_name": self.os_project_name,
            "application_credential_id": self.os_application_credential_id,
            "application_credential_secret": self.os_application_credential_secret,
            "cacert": self.os_cacert,
        }
        # domains: an explicit parameter wins, a file's value wins over the default
        for name in ("user_domain_name", "project_domain_name"):
            if given.get(f"os_{name}"):
                own[name] = getattr(self, f"os_{name}")
        creds = auth.Credentials(**own)
        hide = self.log.hide        # every secret a file holds, as soon as it is read
        try:
            if self.os_credentials_file:
                text = auth.read_secret_file(self.os_credentials_file, on_secret=hide)
                creds = creds.merged(auth.parse_openrc(text, self.os_credentials_file, on_secret=hide))
            if self.os_cloud:
                creds = creds.merged(auth.cloud_from_clouds_yaml(self.os_client_config_file,
                                                                 self.os_cloud, on_secret=hide))
        except auth.CredentialsFileError as exc:
            missing = "does not exist" in str(exc)
            self.fail(codes.ERR_INSTALLED if missing else codes.ERR_ARGS, f"credentials: {exc}")
        if creds.auth_url and creds.auth_url != own["auth_url"]:
            from ocfpy_agents.openstack.http import split_url

            try:        # from a file: the parameters were checked at validation
                split_url(creds.auth_url)
            except ValueError as exc:
                self.fail(codes.ERR_ARGS, f"credentials: the auth URL of os_credentials_file/"
                                          f"os_cloud {exc}")
        defaults = auth.Credentials(user_domain_name=self.os_user_domain_name,
                                    project_domain_name=self.os_project_domain_name)
        creds = creds.merged(defaults)
        for secret in creds.secrets():
            self.log.hide(secret)
        self._creds = creds
        return creds

    def token_client(self):
        from ocfpy_agents.openstack.auth import TokenClient

        creds = self.credentials()
        run_dir = os.path.dirname(self.state_path("token"))
        prefix = os.path.basename(self.state_path("token")) + "-"
        return TokenClient(creds, cache_dir=run_dir if self.token_cache else None,
                           cache_prefix=prefix, cafile=self.os_cacert, insecure=self.os_insecure,
                           on_secret=self.log.hide)

    def forget_tokens(self):
        """Remove this resource's cached tokens (stop)."""
        path = self.state_path("token")
        directory, prefix = os.path.dirname(path), os.path.basename(path) + "-"
        try:
            names = os.listdir(directory)
        except OSError:
            return
        for name in names:
            if name.startswith(prefix):
                try:
                    os.unlink(os.path.join(directory, name))
                except OSError:
                    pass

    def keystone_trouble(self, reason):
        """Keystone failed the check: 1 for keystone itself, 190 for the others."""
        if self.is_identity:
            return codes.ERR_GENERIC, reason
        return codes.DEGRADED, f"{self.name} answers its health check but {reason}"

    def deep_check(self):
        """(rc, reason): a token, then the service's authenticated call."""
        from ocfpy_agents.openstack import http
        from ocfpy_agents.openstack.auth import AuthError

        creds = self.credentials()
        if creds.method is None:
            return codes.DEGRADED, "credentials incomplete: no password or application credential secret"
        if not creds.auth_url:
            return codes.DEGRADED, "credentials incomplete: os_auth_url is not set"
        client = self.token_client()
        try:
            token = client.token(self.request_timeout())
        except AuthError as exc:
            if exc.kind == "unreachable":
                return self.keystone_trouble(f"keystone is unreachable ({exc})")
            return codes.DEGRADED, f"cannot check the API: {exc}"
        try:
            r = self.call_api(token)
            if r.status in self.stale_token_statuses and token.from_cache:
                self.log.info("cached token refused (%d); getting a new one", r.status)
                client.forget()
                token = client.token(self.request_timeout(), fresh=True)
                r = self.call_api(token)
        except AuthError as exc:
            if exc.kind == "unreachable":
                return self.keystone_trouble(f"keystone is unreachable ({exc})")
            return codes.DEGRADED, f"cannot check the API: {exc}"
        except http.HTTPError as exc:
            problem = str(exc)
        except OCFError as exc:
            return exc.code, exc.reason
        else:
            if 200 <= r.status < 300:
                return codes.SUCCESS, ""
            if r.status == 403:
                return codes.DEGRADED, (f"the monitor's user may not call {self.api_check} "
                                        "(403): give it a reader role")
            problem = f"authenticated call {self.api_check} answered {r.status}"
        if not self.is_identity and not client.reachable(min(3.0, self.request_timeout())):
            return self.keystone_trouble(f"keystone is unreachable, so {problem}")
        return codes.ERR_GENERIC, problem

    def call_api(self, token):
        """The service's cheap authenticated call (override for another shape)."""
        from ocfpy_agents.openstack import http

        path = self.api_check
        if "{project_id}" in path:
            if not token.project_id:
                raise OCFError(codes.DEGRADED, f"{self.api_check} needs a project-scoped token: "
                                               "set os_project_name")
            path = path.replace("{project_id}", token.project_id)
        headers = {"X-Auth-Token": token.value, "Accept": "application/json",
                   **self.api_check_headers}
        return http.request("GET", self.base_url + path, headers=headers,
                            timeout=self.request_timeout(), **self.tls())

    # -- start helpers ----------------------------------------------------------------------------
    def service_environ(self) -> dict:
        """The agent's environment without Pacemaker's variables (they hold the parameters)."""
        return {k: v for k, v in self.invocation.environ.items()
                if not k.startswith(_PRIVATE_ENV_PREFIXES)}

    def make_dirs(self):
        """Create the directories of the log and pid files and of the start
        record (before launching: a pid file that cannot be written would
        lose the process), as root, never through a symlink another user
        could have planted (such as one in /var/log/keystone); refuse a log
        file that root must not open for the service (a link, a special
        file, another user's file) and a pid file that is a directory."""
        from ocfpy.files import UnsafeFileError

        wanted = (("log_file", self.log_path), ("pid", self.pid_file),
                  ("HA_VARRUN", self.record_path))
        for what, path in wanted:
            directory = os.path.dirname(path)
            try:
                fd = open_directory(directory, create=True)
            except UnsafeFileError as exc:
                self.fail(codes.ERR_PERM, f"{what} {path}: {exc.strerror}")
            except OSError as exc:
                self.fail(codes.ERR_PERM, f"cannot create {directory}: {exc.strerror or exc}")
            try:
                problem = None
                if what == "log_file":
                    problem = unsafe_append_target(fd, os.path.basename(path), self.service_uid())
                elif what == "pid" and _is_directory_at(fd, os.path.basename(path)):
                    problem = "is a directory"
            finally:
                os.close(fd)
            if problem:
                self.fail(codes.ERR_PERM, f"{what} {path} {problem}: not opening it as root")

    @staticmethod
    def reap(pid):
        """' with status N' / ' on signal N' for our dead child, or ''."""
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return ""
        if done != pid:
            return ""
        if os.WIFSIGNALED(status):
            return f" on signal {os.WTERMSIG(status)}"
        return f" with status {os.WEXITSTATUS(status)}"

    def log_tail(self, lines=20):
        """The end of the service's output, to the debug log (masked). The
        service user may have replaced its log by now: a symlink, a hard
        link, a FIFO or another user's file is not read (root would copy
        whatever it points to into the debug log, or block on the FIFO)."""
        try:
            tail = read_tail(self.log_path, self.service_uid())
        except OSError as exc:
            self.log.warning("not reading the end of %s: %s", self.log_path, exc.strerror or exc)
            return
        lines_ = tail.decode("utf-8", "replace").splitlines()[-lines:]
        self.log.debug_text("\n".join(f"{self.log_path}: {line}" for line in lines_))


# -- files root handles in the service user's directories: ocfpy.files -------------------------
from ocfpy.files import (open_directory, read_tail, remove_in_dir, root_only_file,  # noqa: E402
                         unsafe_append_target)


def _is_directory_at(dir_fd, name) -> bool:
    import stat

    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def read_pid(path):
    """The pid in the pid file ``path``, or None (see ocfpy.process.read_pidfile)."""
    from ocfpy.process import read_pidfile

    return read_pidfile(path)


def remove_file(path) -> None:
    """Unlink ``path`` (a root-owned record) if it is there."""
    if not path:
        return
    try:
        os.unlink(path)
    except (OSError, ValueError):
        pass


def _ascii_number(text: bytes):
    if not text or len(text) > 19 or not all(48 <= c <= 57 for c in text):
        return None
    return int(text)


def _end_children(deadline, before) -> None:
    """After a failed start_daemon: end any child it left (not in ``before``;
    its pid file could not be written, so nothing else would ever stop it)."""
    from ocfpy import process

    for pid in set(process.descendants(os.getpid())) - before:
        if process.alive(pid):
            process.terminate(pid, deadline, kill_reserve=0.5)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


# -- the record of the process start launched: ocfpy.process.ProcessRecord ----------------------
def url_key(url):
    """"scheme://host:port" of a URL (what one service serves on a node), or None."""
    from ocfpy_agents.openstack.http import split_url

    try:
        scheme, host, port, _path = split_url(url or "")
    except ValueError:
        return None
    return f"{scheme}://{host.lower()}:{port}"


class ServiceRecord(ProcessRecord):
    """The framework's record; ``alive()``: the same process still runs."""

    __slots__ = ()

    def alive(self) -> bool:
        return self.same_process()


def write_record(path, pid, *, argv, user, uid, pidfile, url, instance):
    """Record ``pid`` (started by this agent) in ``path``, a 0600 file of
    root's: the framework's record plus the owner's name, the instance, the
    pid file and the URL it serves (see OpenStackAPI.stop)."""
    return ServiceRecord.write(path, pid, argv, uid=uid, user=user, instance=instance,
                                 pidfile=pidfile, url_key=url_key(url) or "")


def read_record(path):
    """The record in ``path`` (``alive()`` = the same process still runs), or None."""
    record = ServiceRecord.read(path)
    if record is None or not {"user", "instance", "pidfile", "url_key"} <= set(record.extra):
        return None
    record.extra["url_key"] = record.extra["url_key"] or None
    return record


def describe_process(pid) -> str:
    """"program, user U" of a live process, for messages."""
    from ocfpy.process import argv_of, owner

    args = argv_of(pid)
    if args is None:
        return "gone"
    program = os.path.basename(args[0]) if args else "?"
    return f"{program or '?'}, user {owner(pid)}"


def resembles(pid, programs, user) -> bool:
    """Does ``pid`` run one of ``programs`` (basenames; argv[0], argv[1] for
    an interpreted script, or its executable) as ``user``?"""
    from ocfpy.process import owner

    base = f"/proc/{pid}"
    try:
        if owner(pid) != user:
            return False
        with open(f"{base}/cmdline", "rb") as fh:
            args = [a.decode("utf-8", "surrogateescape") for a in fh.read().split(b"\0")[:2]]
        names = {os.path.basename(a) for a in args}
        try:
            names.add(os.path.basename(os.readlink(f"{base}/exe")))
        except OSError:
            pass
    except OSError:
        return False
    return bool(names & set(programs))
