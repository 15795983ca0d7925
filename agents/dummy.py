"""ocf:ocfpy:dummy — the simplest agent: "running" means a state file exists.

For agent authors to copy, and for the framework's own tests (like Pacemaker's
Dummy). Its meta-data uses no OCF 1.1-only construct, so it is also valid
against the OCF 1.0 DTD that ocf-tester checks.
"""

import os

from ocfpy.agent import Action, Agent
from ocfpy import codes
from ocfpy.parameters import Duration, Path, String

__all__ = ["Dummy", "main"]



class Dummy(Agent):
    name = "dummy"
    provider = "ocfpy"
    shortdesc = "Example agent: a state file stands for a running service"
    longdesc = """Creates a state file on start, removes it on stop, and reports
running while the file exists. Use it to try out cluster configuration, and as
a starting point for your own agent."""

    state = Path("state", unique=True,
                 shortdesc="State file",
                 longdesc="Path of the file whose existence means the resource runs. "
                          "Defaults to a file named after the resource in Pacemaker's run directory (HA_VARRUN, /run).")
    fake = String("fake", default="dummy",
                  shortdesc="A parameter without effect",
                  longdesc="Changes to it need a restart; it exists to exercise configuration tools.")
    op_sleep = Duration("op_sleep", default=0.0,
                        shortdesc="Seconds each start/stop/monitor sleeps",
                        longdesc="Makes actions slow, to test timeouts (e.g. 500ms, 2s).")

    actions = (
        Action("start", timeout=20),
        Action("stop", timeout=20),
        Action("monitor", timeout=20, interval=10, depth=0),
        Action("reload", timeout=20),
        Action("migrate_to", timeout=20),
        Action("migrate_from", timeout=20),
    )

    @property
    def state_file(self) -> str:
        return self.state or self.state_path()

    def _pause(self):
        if self.op_sleep:
            self.deadline.sleep(self.op_sleep)

    def start(self):
        self._pause()
        if self.monitor() == codes.SUCCESS:
            return codes.SUCCESS
        os.makedirs(os.path.dirname(self.state_file), exist_ok=True)
        with open(self.state_file, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        return codes.SUCCESS

    def stop(self):
        self._pause()
        try:
            os.unlink(self.state_file)
        except FileNotFoundError:
            pass
        return codes.SUCCESS

    def monitor(self):
        self._pause()
        return codes.SUCCESS if os.path.exists(self.state_file) else codes.NOT_RUNNING

    def reload(self):
        return codes.SUCCESS

    def migrate_to(self):
        target = self.invocation.meta.raw.get("migrate_target", "?")
        self.log.info("migrating to %s", target)
        return self.stop()

    def migrate_from(self):
        return self.start()

    def validate_node(self):
        directory = os.path.dirname(self.state_file)
        if os.path.exists(directory) and not os.access(directory, os.W_OK):
            self.fail(codes.ERR_PERM, f"state directory {directory} is not writable")


main = Dummy.main

if __name__ == "__main__":
    main()
