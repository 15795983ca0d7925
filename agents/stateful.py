"""ocf:ocfpy:stateful — the example promotable agent (like Pacemaker's Stateful).

The state file holds the role: "unpromoted" after start, "promoted" after
promote. Unpromoted instances advertise a promotion score so that Pacemaker
promotes one; the promoted instance advertises a higher one so it stays.
"""

import os

from ocfpy.agent import Action, Agent
from ocfpy import codes
from ocfpy.parameters import Integer, Path

__all__ = ["Stateful", "main"]


PROMOTED, UNPROMOTED = "promoted", "unpromoted"


class Stateful(Agent):
    name = "stateful"
    provider = "ocfpy"
    shortdesc = "Example promotable agent: a state file holds the role"
    longdesc = """Run it as a promotable clone. start makes the instance
unpromoted, promote and demote switch the role kept in the state file, and
monitor answers 8 for the promoted instance, 0 for an unpromoted one and 7
when stopped. Promotion scores are set with crm_attribute --promotion."""

    state = Path("state", unique=True,
                 shortdesc="State file",
                 longdesc="File holding the role. Defaults to a file named after the "
                          "resource in Pacemaker's run directory (HA_VARRUN, /run).")
    unpromoted_score = Integer("unpromoted_score", default=5, minimum=0,
                               shortdesc="Promotion score of an unpromoted instance")
    promoted_score = Integer("promoted_score", default=10, minimum=0,
                             shortdesc="Promotion score of the promoted instance")

    actions = (
        Action("start", timeout=20),
        Action("stop", timeout=20),
        Action("monitor", timeout=20, interval=10, role="Promoted"),
        Action("monitor", timeout=20, interval=11, role="Unpromoted"),
        Action("promote", timeout=10),
        Action("demote", timeout=10),
        Action("notify", timeout=5),
    )

    @property
    def state_file(self) -> str:
        return self.state or self.state_path()

    def role(self):
        try:
            with open(self.state_file) as fh:
                return fh.read().strip() or UNPROMOTED
        except FileNotFoundError:
            return None

    def write_role(self, role: str):
        os.makedirs(os.path.dirname(self.state_file), exist_ok=True)
        with open(self.state_file, "w") as fh:
            fh.write(role + "\n")

    def start(self):
        if self.role() is None:
            self.write_role(UNPROMOTED)
        self.set_promotion(self.unpromoted_score)

    def stop(self):
        try:
            os.unlink(self.state_file)
        except FileNotFoundError:
            pass
        self.clear_promotion()

    def monitor(self):
        role = self.role()
        if role is None:
            return codes.NOT_RUNNING
        if role == PROMOTED:
            if not self.is_probe:
                self.set_promotion(self.promoted_score)
            return codes.RUNNING_PROMOTED
        if not self.is_probe:
            self.set_promotion(self.unpromoted_score)
        return codes.SUCCESS

    def promote(self):
        if self.role() is None:
            self.fail(codes.NOT_RUNNING, "cannot promote: the instance is not running")
        self.write_role(PROMOTED)
        self.set_promotion(self.promoted_score)

    def demote(self):
        if self.role() is None:
            # Not running is certainly not promoted: the demote reached its
            # goal. Answering 7 (an error for a demote) made Pacemaker retry
            # the demote forever; the next monitor reports 7 and recovers it.
            self.log.warning("demote: the instance is not running")
            return codes.SUCCESS
        self.write_role(UNPROMOTED)
        self.set_promotion(self.unpromoted_score)

    def notify(self):
        n = self.invocation.notify
        self.log.info("notify %s-%s: promoted on %s, starting on %s", n.type, n.operation,
                      " ".join(n.uname("promoted")) or "-", " ".join(n.uname("start")) or "-")


main = Stateful.main

if __name__ == "__main__":
    main()
