"""The cluster's attribute and promotion tools behind one small interface.

The backend is ``ToolsCrm``: Pacemaker's command line tools through
subprocess (argv, never a shell), found on PATH so the testing toolkit's fake
executables can stand in for them. Tests use ``ocfpy.testing.fake``'s
``FakeCrm`` (a fake cluster) or ``MemoryCrm`` (a plain dict).

Example::

    crm = ToolsCrm(resource="p_galera")
    crm.set_attr("p_galera-last-committed", "42")          # transient (reboot)
    crm.get_attr("p_galera-last-committed", node="node2")  # "42" or None
    crm.set_promotion(100)                                 # this node's score
    crm.get_promotion(node="node3")                        # int or None
"""

from __future__ import annotations

import os

__all__ = ["REBOOT", "FOREVER", "LIFETIMES", "CrmError", "Crm", "ToolsCrm",
           "ResourceAttributes", "promotion_attribute"]

REBOOT = "reboot"        # transient attribute: gone when the node leaves
FOREVER = "forever"      # permanent attribute, in the CIB's nodes section
LIFETIMES = (REBOOT, FOREVER)


class CrmError(Exception):
    """A cluster tool failed; ``returncode`` and ``stderr`` tell why."""

    def __init__(self, argv, returncode, stderr):
        super().__init__(f"{argv[0]} exited {returncode}: {stderr.strip()[:300]}")
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr


def promotion_attribute(resource: str) -> str:
    """The node attribute that holds a promotable resource's score ("master-<id>",
    the clone suffix dropped)."""
    base, sep, number = resource.rpartition(":")
    return "master-" + (base if sep and number.isascii() and number.isdigit() else resource)


class Crm:
    """The interface. ``node`` None means this node; ``lifetime`` is REBOOT or FOREVER."""

    def node_name(self) -> str:
        raise NotImplementedError

    def get_attr(self, name: str, node=None, lifetime: str = REBOOT):
        raise NotImplementedError

    def set_attr(self, name: str, value, node=None, lifetime: str = REBOOT) -> None:
        raise NotImplementedError

    def delete_attr(self, name: str, node=None, lifetime: str = REBOOT) -> None:
        raise NotImplementedError

    # The promotion score is the node attribute "master-<resource>"; a backend
    # with a dedicated tool (ToolsCrm: crm_attribute --promotion) overrides these.
    resource = ""

    def get_promotion(self, node=None):
        value = self.get_attr(promotion_attribute(self.resource), node)
        try:
            return None if value is None else int(value)
        except ValueError:
            return None

    def set_promotion(self, score: int, node=None) -> None:
        self.set_attr(promotion_attribute(self.resource), int(score), node)

    def delete_promotion(self, node=None) -> None:
        self.delete_attr(promotion_attribute(self.resource), node)


class ToolsCrm(Crm):
    """Pacemaker's tools: crm_attribute, crm_node (crm_master on old clusters)."""

    NOT_FOUND = (6, 105)   # CRM_EX_NOSUCH (2.x) and ENXIO-style codes for a missing attribute
    USAGE = 64             # CRM_EX_USAGE: an option this version does not know

    def __init__(self, resource: str = "", node=None, timeout: float = 30.0, environ=None,
                 deadline=None):
        self.resource = resource
        self._node = node
        self.timeout = timeout
        self.deadline = deadline   # an ocfpy.deadline.Deadline every call obeys
        self.environ = environ
        self._promotion_flag = None   # None: not yet known whether --promotion works

    def _run(self, argv, ok=(0,)):
        import subprocess

        from ocfpy.process import crm_environ

        # the tools need no parameter (OCF_RESKEY_* may hold secrets)
        env = crm_environ(os.environ if self.environ is None else self.environ)
        if self.resource:
            env.setdefault("OCF_RESOURCE_INSTANCE", self.resource)
        timeout = self.timeout
        if self.deadline is not None:
            timeout = max(0.1, min(timeout, self.deadline.remaining()))
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise CrmError(argv, -9, f"timed out after {timeout:.1f}s") from None
        except OSError as exc:
            raise CrmError(argv, 127, str(exc)) from None
        if proc.returncode not in ok:
            raise CrmError(argv, proc.returncode, proc.stderr)
        return proc

    def node_name(self) -> str:
        if not self._node:
            self._node = self._run(["crm_node", "-n"]).stdout.strip()
        return self._node

    def _node_args(self, node):
        return ["-N", node or self.node_name()]

    def get_attr(self, name, node=None, lifetime=REBOOT):
        proc = self._run(["crm_attribute", *self._node_args(node), "-l", lifetime,
                          "-n", name, "-G", "-q"], ok=(0, *self.NOT_FOUND))
        if proc.returncode != 0:
            return None
        value = proc.stdout.strip()
        return value if value != "(null)" else None

    def set_attr(self, name, value, node=None, lifetime=REBOOT):
        self._run(["crm_attribute", *self._node_args(node), "-l", lifetime,
                   "-n", name, "-v", str(value)])

    def delete_attr(self, name, node=None, lifetime=REBOOT):
        self._run(["crm_attribute", *self._node_args(node), "-l", lifetime,
                   "-n", name, "-D"], ok=(0, *self.NOT_FOUND))

    # Promotion scores: `crm_attribute --promotion` on Pacemaker >= 2.1,
    # `crm_master -l reboot` before it.
    def _promotion(self, args, node, ok=(0,)):
        if self._promotion_flag is not False:
            argv = ["crm_attribute", "--promotion", *self._node_args(node), *args]
            try:
                proc = self._run(argv, ok=(*ok, self.USAGE))
            except CrmError as exc:
                if "promotion" not in exc.stderr:
                    raise
                proc = None
            if proc is not None and proc.returncode != self.USAGE:
                self._promotion_flag = True
                return proc
            self._promotion_flag = False
        return self._run(["crm_master", "-l", REBOOT, *self._node_args(node), *args], ok=ok)

    def get_promotion(self, node=None):
        proc = self._promotion(["-G", "-q"], node, ok=(0, *self.NOT_FOUND))
        text = proc.stdout.strip()
        if proc.returncode != 0 or not text or text == "(null)":
            return None
        try:
            return int(text)
        except ValueError:
            return None

    def set_promotion(self, score, node=None):
        self._promotion(["-v", str(int(score))], node)

    def delete_promotion(self, node=None):
        self._promotion(["-D"], node, ok=(0, *self.NOT_FOUND))


class ResourceAttributes:
    """A resource's own node attributes, ``<resource>-<name>``, with the error
    policy chosen per call: ``required=True`` turns a failing tool into
    ``OCFError(ERR_GENERIC)`` (the action cannot go on without it), otherwise
    the failure is logged and tolerated (``get`` then answers None).

    Example::

        attrs = ResourceAttributes(crm, "galera", log)
        attrs.set("last-committed", 42, required=True)
        attrs.get("last-committed", node="node2")      # "42", or None
        attrs.delete("bootstrap")                        # logged if it fails
    """

    __slots__ = ("crm", "resource", "log")

    def __init__(self, crm: Crm, resource: str, log=None):
        self.crm = crm
        self.resource = resource
        self.log = log

    def name(self, what: str) -> str:
        return f"{self.resource}-{what}"

    def _failed(self, doing: str, what: str, node, exc, required: bool):
        text = f"cannot {doing} {self.name(what)}" + (f" of {node}" if node else "") + f": {exc}"
        if required:
            from ocfpy import codes
            from ocfpy.errors import OCFError

            raise OCFError(codes.ERR_GENERIC, text) from None
        if self.log is not None:
            self.log.warning("%s", text)

    def get(self, what: str, node=None, *, required: bool = False, lifetime: str = REBOOT):
        try:
            return self.crm.get_attr(self.name(what), node=node, lifetime=lifetime)
        except (CrmError, OSError) as exc:
            self._failed("read", what, node, exc, required)
            return None

    def set(self, what: str, value, node=None, *, required: bool = True, lifetime: str = REBOOT) -> bool:
        try:
            self.crm.set_attr(self.name(what), value, node=node, lifetime=lifetime)
            return True
        except (CrmError, OSError) as exc:
            self._failed("set", what, node, exc, required)
            return False

    def delete(self, what: str, node=None, *, required: bool = False, lifetime: str = REBOOT) -> bool:
        try:
            self.crm.delete_attr(self.name(what), node=node, lifetime=lifetime)
            return True
        except (CrmError, OSError) as exc:
            self._failed("delete", what, node, exc, required)
            return False
