"""ocf:ocfpy:galera — MariaDB Galera as a promotable clone, heartbeat/galera-compatible.

Reads like its meta-data: parameters and actions first, short actions below,
then the promote, monitor and election logic. The decisions (grastate.dat,
recovered positions, address mapping, the bootstrap election) are pure
functions in :mod:`ocfpy_agents.galera.wsrep`; the plumbing lives beside it:
mariadbd itself in :mod:`~ocfpy_agents.galera.mysqld`, the mysql user's files
in :mod:`~ocfpy_agents.galera.datadir`, the SQL client in
:mod:`~ocfpy_agents.galera.server`, the run directory's notes in
:mod:`~ocfpy_agents.galera.notes`.

Roles:
- Stopped: mariadbd not running, nothing published.
- Unpromoted: mariadbd NOT running; this node's last committed position is
  published as transient node attributes (``<rsc>-last-committed``,
  ``-uuid``, ``-safe-to-bootstrap``, ``-no-grastate``).
- Promoted: mariadbd running, Primary and Synced (or donor); the node
  publishes ``<rsc>-primary`` (the cluster state UUID) for the others.

Hot path: monitor imports ocfpy's core, wsrep and server (nothing more), and
mysqld, datadir and notes inside the methods that use them; pymysql only when
mariadbd is running; psutil never (ocfpy.process reads /proc). meta-data
imports neither, nor mysqld, datadir and notes.
"""

import os

from ocfpy import codes
from ocfpy.agent import Action, Agent
from ocfpy.parameters import Boolean, Path, String, User
from ocfpy_agents.galera import server, wsrep
from ocfpy_agents.galera.wsrep import GcommAddress, HostMap

PROMOTION_SCORE = 100
# a monitor tolerates this long a non-Primary/joining state before failing:
# two nodes joining at once make the whole cluster non-Primary for ~3 s
MONITOR_GRACE = 8.0
# a promote that can neither join nor bootstrap waits this long (at most a
# tenth of its timeout) for a peer to finish its bootstrap before failing
PROMOTE_WAIT = 15.0
# a join ends when, for this long, no peer is a live member of a Primary
# Component (publishes -primary and its gcomm port accepts connections)
JOIN_LOST_AFTER = 3.0
#: a healthy monitor asks attrd whether <rsc>-primary is still published at
#: most this often (see Galera._publish_primary)
PRIMARY_RECHECK = 60.0
ATTRS = ("last-committed", "uuid", "safe-to-bootstrap", "no-grastate", "bootstrap", "primary")


class NoPrimaryComponent(Exception):
    """A promote that must end so that a new election can run: mariadbd is
    stopped, and this node's position is published for that election."""


class Galera(Agent):
    name = "galera"
    provider = "ocfpy"
    shortdesc = "MariaDB/MySQL Galera as a promotable clone (safe bootstrap election)"
    longdesc = """Manages a Galera node as a promotable clone, with parameters compatible
with ocf:heartbeat:galera. Unpromoted means mariadbd is NOT running and this
node has published its last committed position (node attributes
RSC-last-committed, RSC-uuid, RSC-safe-to-bootstrap); Promoted means mariadbd
runs in the Primary Component and is Synced. Use promoted-max equal to the
number of nodes.

Bootstrap election, run on start and on every unpromoted monitor while no
Primary Component is reachable: a node with safe_to_bootstrap: 1 in
grastate.dat (the last node of a clean shutdown) wins at once; otherwise,
once every member has published, the highest seqno wins (-1, unknown, counts
as 0); ties go to the member listed first in wsrep_cluster_address, a rule
every node computes identically. When grastate.dat has no seqno (a crash),
the position comes from mariadbd --wsrep-recover, and it is handed to the
start (--wsrep_start_position) so that a rejoin uses IST and a bootstrap keeps
the cluster's history. Only the winner gets safe_to_bootstrap: 1.

A promoted peer counts as a Primary Component to join only while it
publishes RSC-primary and its gcomm address accepts connections: after a
whole-cluster crash the stale roles of dead peers are not trusted. Joiners
wait for Synced and Primary within the promote timeout (give it room for a
full state transfer), and keep watching those peers meanwhile: when none is
left for 3 s (the cluster it was joining crashed), the promote stops
mariadbd, publishes this node's position and fails at once, so that the
next transition runs the election. Do not set on-fail=block on promote
(Pacemaker then blocks the instance until a manual cleanup); where it is set
anyway, such a promote answers 0 instead, and the Promoted monitor that
follows reports mariadbd not running, which Pacemaker recovers.

Node names map to wsrep_cluster_address entries exactly (ctl1 never matches
ctl10): through cluster_host_map (node:host or node:host:port), else the node
name must equal an entry's host. Status queries go over the unix socket with
pymysql; the check password never appears on a command line: give it in
check_passwd_file (a plain password file, or a my.cnf-style [client] file
with user= and password=) rather than check_passwd in the CIB.

mariadbd runs as "user" (privileges dropped before exec, and --user).
Not supported from heartbeat/galera: mysqld_safe (binary is mariadbd/mysqld
itself) and the client_binary parameter (no client is run)."""

    # -- software and files -----------------------------------------------------------
    binary = Path("binary", kind="executable", must_exist=True, default="/usr/sbin/mariadbd",
                  shortdesc="The server executable (mariadbd or mysqld, not mysqld_safe)")
    config = Path("config", kind="file", must_exist=True, default="/etc/mysql/my.cnf",
                  shortdesc="Server configuration (--defaults-file)")
    datadir = Path("datadir", kind="dir", default="/var/lib/mysql",
                   shortdesc="Data directory (--datadir)")
    user = User("user", default="mysql", allow_empty=False, shortdesc="User mariadbd runs as")
    group = String("group", default="mysql", allow_empty=False,
                   shortdesc="Group owning the directories the agent creates")
    log_file = Path("log", shortdesc="Error log (--log-error); default: as the configuration says")
    pid = Path("pid", default="/run/mysqld/mysqld.pid", shortdesc="Pid file (--pid-file)")
    socket = Path("socket", default="/run/mysqld/mysqld.sock",
                  shortdesc="Unix socket (--socket); status queries use it")
    enable_creation = Boolean("enable_creation", default=False,
                              shortdesc="Create the data directory and system tables when absent")
    additional_parameters = String("additional_parameters",
                                   shortdesc="More mariadbd options (split like a shell, never run by one)")
    # -- the cluster ----------------------------------------------------------------------
    wsrep_cluster_address = GcommAddress("wsrep_cluster_address", required=True,
                                         shortdesc="gcomm://host[:port],... of every member")
    cluster_host_map = HostMap("cluster_host_map",
                               shortdesc="node:host[:port] entries when node names differ from the hosts",
                               longdesc="Maps Pacemaker node names to wsrep_cluster_address entries, "
                                        "e.g. ctl1:10.0.0.1;ctl2:10.0.0.2. Give host:port when several "
                                        "members share a host.")
    two_node_mode = Boolean("two_node_mode", default=False,
                            shortdesc="Two-node cluster: a lone survivor regains Primary",
                            longdesc="When the only node left is non-Primary, set pc.bootstrap=YES "
                                     "on it. Only with fencing: Pacemaker must guarantee the peer is gone.")
    # -- status checks ----------------------------------------------------------------------
    check_user = String("check_user", default="root", allow_empty=False,
                        shortdesc="User for status queries")
    check_passwd = String("check_passwd", private=True,
                          shortdesc="Its password (prefer check_passwd_file)")
    check_passwd_file = Path("check_passwd_file", kind="file",
                             shortdesc="File with the check password (or a [client] section)",
                             longdesc="A plain file whose first line is the password, or a "
                                      "my.cnf-style file with a [client] section (user=, password=; "
                                      "its user replaces check_user). Readable by root only.")

    _credentials = None     # (user, password) once read

    actions = (
        Action("start", timeout=120),
        Action("stop", timeout=120),
        Action("promote", timeout=300),
        Action("demote", timeout=120),
        Action("monitor", timeout=30, interval=20, role="Promoted"),
        Action("monitor", timeout=30, interval=30, role="Unpromoted"),
        Action("notify", timeout=30),
    )

    # -- actions ----------------------------------------------------------------------------
    def start(self):
        pid = self.mysqld_pid()
        if pid is not None:
            self.fail(codes.ERR_GENERIC, f"mariadbd is already running (pid {pid}) outside the "
                                         "agent's control; stop it first")
        self._prepare_dirs()
        state, no_grastate = self.mysqld.detect_position(self.deadline)
        self._save_position(state, no_grastate)
        self._publish(state, no_grastate)
        self.arrange_promotion()
        return codes.SUCCESS

    def stop(self):
        self._stop_mysqld()
        self._clear_state()
        return codes.SUCCESS

    def demote(self):
        if self.mysqld_pid() is None and self.attrs.get("last-committed") is not None:
            return codes.SUCCESS          # already unpromoted: stopped, position published
        self._unpromote()
        return codes.SUCCESS

    def notify(self):
        return codes.SUCCESS

    def promote(self):
        pid = self.mysqld_pid()
        bootstrap = False
        try:
            if pid is None:
                state = (self._saved_position() or self.mysqld.detect_position(self.deadline))[0]
                bootstrap = self._choose_promote_mode()
                if bootstrap:
                    from ocfpy_agents.galera.datadir import mark_safe_to_bootstrap

                    mark_safe_to_bootstrap(self.datadir, self.user, self.log)
                pid = self.mysqld.start(self.wsrep_cluster_address, bootstrap, state,
                                        self.additional_parameters)
                watch = not bootstrap         # a live Primary Component was found: it is watched
            else:                             # left running (a promote that timed out)
                watch = bool(self.live_primaries(timeout=0.5))
            st = self._wait_synced(pid, bootstrap, watch)
        except NoPrimaryComponent as gave_up:
            return self._end_for_election(str(gave_up))
        self._after_promote(st, bootstrap)
        return codes.SUCCESS

    def monitor(self):
        pid = self.mysqld_pid()
        role = (self.invocation.meta.raw.get("role") or "").lower()
        promoted_role = role in ("promoted", "master")
        if pid is None:
            return self._monitor_stopped(promoted_role)
        st, healthy = self._status_with_grace()
        if st is None and self.mysqld_pid() is None:
            return self._monitor_stopped(promoted_role)   # it died while we asked
        if healthy:
            self._publish_primary(st.get("wsrep_cluster_state_uuid") or "yes")
            return codes.RUNNING_PROMOTED
        self._withdraw_primary()
        reason = ("mariadbd does not answer" if st is None else
                  f"not a healthy member of the Primary Component ({server.describe(st)})")
        self.set_exit_reason(reason)
        return codes.FAILED_PROMOTED if promoted_role else codes.ERR_GENERIC

    # -- checks -----------------------------------------------------------------------------
    def validate_config(self):
        if self.additional_parameters:
            import shlex

            try:
                shlex.split(self.additional_parameters)
            except ValueError as exc:   # "No closing quotation", "No escaped character"
                self.fail(codes.ERR_CONFIGURED, f"parameter additional_parameters: {exc} "
                                                "(the value is split like a shell would)")
        problem = wsrep.address_problem(self.members, self.host_map)
        if problem:
            self.fail(codes.ERR_CONFIGURED, problem)

    def validate_node(self):
        try:
            if wsrep.member_of_node(self.node, self.members, self.host_map) is None:
                self.fail(codes.ERR_ARGS, f"node {self.node} is not in wsrep_cluster_address "
                                          "(add it, or map it with cluster_host_map)")
        except ValueError as exc:
            self.fail(codes.ERR_CONFIGURED, str(exc))
        import grp

        from ocfpy_agents.galera.datadir import user_can_use

        try:
            grp.getgrnam(self.group)
        except KeyError:
            self.fail(codes.ERR_ARGS, f"parameter group: group {self.group} does not exist on this node")
        if not os.path.isdir(self.datadir):
            if not self.enable_creation:
                self.fail(codes.ERR_INSTALLED, f"datadir {self.datadir} does not exist "
                                               "(set enable_creation=true to create it)")
        elif not user_can_use(self.user, self.datadir):
            self.fail(codes.ERR_PERM, f"datadir {self.datadir} is not readable and writable "
                                      f"by user {self.user}")
        if self.check_passwd_file and not os.path.isfile(self.check_passwd_file):
            self.fail(codes.ERR_INSTALLED, f"check_passwd_file {self.check_passwd_file} does not exist")
        self.credentials()      # a file that cannot work fails here, with its reason

    def stop_unvalidated(self, error):
        if self.values.get("datadir"):
            # a node check failed (datadir unreadable, binary removed...): mariadbd
            # may still run, and stop must not claim success while it does
            self._stop_mysqld()
            self._clear_state()

    # -- promote ----------------------------------------------------------------------------
    def _choose_promote_mode(self) -> bool:
        """True: bootstrap a new Primary Component; False: join a live one."""
        wait = self.deadline.cap(min(PROMOTE_WAIT, self.deadline.remaining() * 0.1))
        why = ""
        while True:
            live = self.live_primaries()
            if live:
                self.log.info("joining the Primary Component of %s", ", ".join(live))
                return False
            winner, why = self.election()
            if winner == self.node:
                self.log.info("bootstrapping a new Primary Component (%s)", why)
                return True
            if wait.expired:
                break
            wait.sleep(1.0)
        raise NoPrimaryComponent("no Primary Component to join and this node is not the "
                                 f"bootstrap node ({why if winner is None else winner + ' is'})")

    def _wait_synced(self, pid, bootstrap, watch):
        """Poll until Primary and Synced; stop mariadbd and fail when it cannot be.

        A join (``watch``) also watches the peers: when none is a live member of a
        Primary Component (see live_primaries) for JOIN_LOST_AFTER seconds,
        or mariadbd exits with none left, there is nothing left to join:
        NoPrimaryComponent, with mariadbd stopped and the position published."""
        import time

        from ocfpy.deadline import Deadline
        from ocfpy.process import alive, remove_pidfile

        what = "bootstrapping" if bootstrap else "joining"
        reserve = min(30.0, max(5.0, self.deadline.remaining() * 0.15))
        wait = Deadline(self.deadline.end - reserve)
        last = "no answer yet"
        lost_since, next_check = None, 0.0
        while True:
            if not alive(pid):
                remove_pidfile(self.state_path("pid"))
                if watch and not self.live_primaries(timeout=0.5):
                    self._unpromote()
                    raise NoPrimaryComponent("mariadbd exited while joining and no Primary Component "
                                             "is left: position published for a new election")
                self.fail(codes.ERR_GENERIC, f"mariadbd exited while {what}"
                                             + (f" (see {self.log_file})" if self.log_file else ""))
            try:
                st = self.status(timeout=min(2.0, max(0.5, wait.remaining())))
            except server.MysqlError as exc:
                last = str(exc)
            else:
                if server.is_synced(st):
                    return st
                last = server.describe(st)
            now = time.monotonic()
            if watch and now >= next_check:
                next_check = now + 1.0
                if self.live_primaries(timeout=0.5):
                    lost_since = None
                elif lost_since is None:
                    lost_since = now
                elif now - lost_since >= JOIN_LOST_AFTER:
                    self.log.warning("joining: no peer has been a live member of a Primary Component "
                                     "for %.0f s (%s); stopping mariadbd", now - lost_since, last)
                    # a joiner neither serves nor commits anything, and one that cannot
                    # reach its peers ignores TERM for ~30 s: KILL soon (InnoDB recovers)
                    self._unpromote(stop_within=3.0)
                    raise NoPrimaryComponent("the Primary Component being joined is gone (no peer "
                                             "publishes primary with its gcomm port open): mariadbd "
                                             "stopped, position published for a new election")
            if wait.expired:
                break
            wait.sleep(0.5)
        self._stop_mysqld()
        self.fail(codes.ERR_GENERIC, f"not Primary and Synced before the promote timeout while "
                                     f"{what} ({last})")

    def _after_promote(self, st, bootstrap):
        self._publish_primary(st.get("wsrep_cluster_state_uuid") or "yes", recheck=True)
        for what in ("last-committed", "uuid", "safe-to-bootstrap", "no-grastate", "bootstrap"):
            self.attrs.delete(what)
        self._set_score(self.node)
        if bootstrap:
            for node in self.member_names:
                if node != self.node:
                    self._set_score(node)
        self.log.info("promoted: %s, cluster size %s", server.describe(st), st.get("wsrep_cluster_size"))

    def _end_for_election(self, reason):
        """End a promote that cannot succeed now but leaves nothing running
        and this node ready for the election: it fails (Pacemaker restarts
        the instance, whose start runs the election). Under on-fail=block --
        which Pacemaker passes to the promote alone, as CRM_meta_on_fail --
        a failure would block the instance until a manual cleanup: the
        promote answers 0 instead, and the Promoted monitor that Pacemaker
        runs right after reports mariadbd not running (7), a failure it recovers."""
        self.clear_promotion()
        if (self.invocation.meta.raw.get("on_fail") or "").lower() == "block":
            self.log.warning("promote: %s; on-fail=block would leave the instance blocked: "
                             "answering 0, the Promoted monitor reports mariadbd not running", reason)
            self.set_exit_reason(reason)
            return codes.SUCCESS
        self.fail(codes.ERR_GENERIC, reason)

    def _unpromote(self, stop_within=None):
        """mariadbd stopped (within ``stop_within`` s, then killed), no promotion,
        the position detected, saved and published for the election."""
        self._stop_mysqld(stop_within)
        self._withdraw_primary()
        self.attrs.delete("bootstrap")
        self.clear_promotion()
        state, no_grastate = self.mysqld.detect_position(self.deadline)
        self._save_position(state, no_grastate)
        self._publish(state, no_grastate)

    # -- monitor ----------------------------------------------------------------------------
    def _monitor_stopped(self, promoted_role):
        if promoted_role:
            # a dead member must not look like a Primary Component to join, nor be promoted again
            self._withdraw_primary()
            self.clear_promotion()
            self.set_exit_reason("mariadbd is not running")
            return codes.NOT_RUNNING
        saved = self._saved_position()
        if saved is None:
            return codes.NOT_RUNNING
        if self.attrs.get("last-committed") is None:
            if self.is_probe:
                return codes.NOT_RUNNING      # e.g. Pacemaker restarted: start publishes again
            self._publish(*saved)
        self.arrange_promotion()
        return codes.SUCCESS

    def _status_with_grace(self):
        """(status or None, healthy) after waiting out short non-Primary windows."""
        grace = self.deadline.cap(min(MONITOR_GRACE, self.deadline.remaining() / 2))
        st = None
        bootstrapped = False
        while True:
            try:
                st = self.status(timeout=min(5.0, max(0.5, grace.remaining())))
            except server.MysqlError as exc:
                self.log.info("status query failed: %s", exc)
                st = None
            if st is not None and server.is_healthy(st):
                return st, True
            if st is None and self.mysqld_pid() is None:
                return None, False      # died: no point waiting out the grace period
            if (st is not None and self.two_node_mode and not bootstrapped
                    and not server.is_primary(st) and st.get("wsrep_cluster_size") == "1"):
                bootstrapped = self._regain_primary()
                continue
            if grace.expired:
                return st, False
            grace.sleep(0.5)

    def _regain_primary(self) -> bool:
        """two_node_mode: the peer is gone (Pacemaker fenced it); become Primary alone."""
        user, password = self.credentials()
        self.log.warning("two_node_mode: alone and non-Primary, setting pc.bootstrap=YES")
        try:
            server.bootstrap_primary(self.socket, user, password, timeout=5)
        except server.MysqlError as exc:
            self.log.error("pc.bootstrap failed: %s", exc)
        return True

    # -- the election -----------------------------------------------------------------------
    def live_primaries(self, timeout=1.0) -> list:
        """Peers that publish ``-primary`` and whose gcomm port answers: a
        Primary Component that exists now, not a stale role."""
        found = []
        for node, member in zip(self.member_names, self.members):
            if (node != self.node and self.attrs.get("primary", node)
                    and server.port_open(member.host, member.effective_port, timeout)):
                found.append(node)
        return found

    def election(self):
        """(winner, why) over the published positions, in address order."""
        cands = []
        saved = self._saved_position()
        for node in self.member_names:
            if node == self.node and saved is not None:
                state = saved[0]
                cands.append(wsrep.Candidate(node, state.seqno, state.safe_to_bootstrap, state.uuid))
                continue
            seq = self.attrs.get("last-committed", node)
            try:
                seqno = int(seq) if seq is not None else None
            except ValueError:
                seqno = None
            safe = seqno is not None and self.attrs.get("safe-to-bootstrap", node) == "1"
            cands.append(wsrep.Candidate(node, seqno, safe))
        return wsrep.elect(cands)

    def arrange_promotion(self):
        """Unpromoted, mariadbd stopped: ask to be promoted when a Primary
        Component can be joined, else run the election and give the winner
        its promotion score."""
        live = self.live_primaries()
        if live:
            self.log.info("Primary Component on %s: asking to join", ", ".join(live))
            self._set_score(self.node)
            return
        winner, why = self.election()
        if winner is None:
            self.log.info("bootstrap election: %s", why)
            self.clear_promotion()       # a stale score would schedule a doomed promote
            return
        self.log.info("bootstrap election: %s wins (%s)", winner, why)
        self.attrs.set("bootstrap", "true", node=None if winner == self.node else winner, required=False)
        self._set_score(winner)
        if winner != self.node:
            self.clear_promotion()

    # -- derived values ---------------------------------------------------------------------
    @property
    def members(self) -> list:
        return wsrep.parse_gcomm(self.wsrep_cluster_address)

    @property
    def host_map(self) -> dict:
        return wsrep.parse_host_map(self.cluster_host_map or "")

    @property
    def member_names(self) -> list:
        return wsrep.member_nodes(self.members, self.host_map)

    # -- the cluster's attributes (``self.attrs``: <instance>-<what>) -----------------------
    def _set_score(self, node, score=PROMOTION_SCORE):
        from ocfpy.crm import CrmError

        try:
            self.crm.set_promotion(score, node=None if node == self.node else node)
        except (CrmError, OSError) as exc:
            self.log.warning("cannot set the promotion score of %s: %s", node, exc)

    def _publish(self, state, no_grastate):
        for what, value in (("last-committed", state.seqno), ("uuid", state.uuid),
                            ("safe-to-bootstrap", 1 if state.safe_to_bootstrap else 0),
                            ("no-grastate", "true" if no_grastate else "false")):
            self.attrs.set(what, value)         # a failing tool fails the action
        self.log.info("published position %s (safe_to_bootstrap %d)", state.position,
                      1 if state.safe_to_bootstrap else 0)

    def _clear_state(self):
        from ocfpy.process import remove_pidfile

        for what in ATTRS:
            self.attrs.delete(what)
        self.clear_promotion()
        for suffix in ("state", "pid", "primary"):
            remove_pidfile(self.state_path(suffix))

    def _publish_primary(self, uuid: str, recheck: bool = False) -> None:
        """Publish <rsc>-primary = ``uuid`` (what joiners look for). A note in
        the run directory remembers the last publication, so that a healthy
        monitor asks attrd (a crm tool run) only when the uuid changed or the
        note is PRIMARY_RECHECK s old: the attribute vanishes only when this
        node leaves the cluster, which fencing turns into a reboot (and an
        empty run directory)."""
        from ocfpy_agents.galera import notes

        note = self.state_path("primary")
        if not recheck and notes.primary_noted(note, uuid, PRIMARY_RECHECK):
            return
        if self.attrs.get("primary") == uuid or self.attrs.set("primary", uuid, required=False):
            notes.note_primary(note, uuid)

    def _withdraw_primary(self) -> None:
        from ocfpy.files import remove_in_dir

        remove_in_dir(self.state_path("primary"))
        self.attrs.delete("primary")

    # -- local state: position saved by start/demote, read by monitor and promote (.notes) --
    def _save_position(self, state, no_grastate):
        from ocfpy_agents.galera.notes import save_position

        save_position(self.state_path("state"), state, no_grastate)

    def _saved_position(self):
        from ocfpy_agents.galera.notes import saved_position

        return saved_position(self.state_path("state"))

    # -- mariadbd (ocfpy_agents.galera.mysqld) and its files (.datadir) ---------------------
    @property
    def mysqld(self):
        from ocfpy_agents.galera.mysqld import Mysqld

        return Mysqld(binary=self.binary, config=self.config, datadir=self.datadir, user=self.user,
                      pid=self.pid, socket=self.socket, log_file=self.log_file,
                      pidfile=self.state_path("pid"), environ=self.invocation.environ, log=self.log)

    def mysqld_pid(self):
        """The pid of our running mariadbd, or None (see Mysqld.find_pid)."""
        return self.mysqld.find_pid()

    def _stop_mysqld(self, within=None) -> None:
        """TERM, then KILL when the deadline (or ``within`` seconds) runs short."""
        pid = self.mysqld_pid()
        if pid is not None:
            self.mysqld.stop(pid, self.deadline if within is None else self.deadline.cap(within))

    def _prepare_dirs(self):
        from ocfpy_agents.galera.datadir import prepare_dirs

        prepare_dirs(self.datadir, self.user, self.group, (self.pid, self.socket))
        if self.enable_creation and not os.path.isdir(os.path.join(self.datadir, "mysql")):
            self.mysqld.install_db(self.deadline)

    # -- status -----------------------------------------------------------------------------
    def credentials(self):
        """(user, password) for status queries, read once (server.check_credentials:
        every value read from check_passwd_file is masked in the logs)."""
        if self._credentials is None:
            self._credentials = server.check_credentials(self.check_user, self.check_passwd or "",
                                                         self.check_passwd_file, hide=self.log.hide)
        return self._credentials

    def status(self, timeout=5.0):
        """The server's wsrep status; OCFError(ERR_CONFIGURED) when access is denied."""
        user, password = self.credentials()
        try:
            return server.query_status(self.socket, user, password, timeout=timeout)
        except server.CredentialsError:
            self.fail(codes.ERR_CONFIGURED, f"check_user {user}: access denied (check "
                                            "check_passwd_file / check_passwd)")


main = Galera.main

if __name__ == "__main__":
    main()
