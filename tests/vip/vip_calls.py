"""The VIP agent run in-process, as the unit tests call it (no network change)."""

import io

from ocfpy_agents.vip.agent import Vip


def run(action, **params):
    """(exit code, its ``ocf-exit-reason:`` lines) of ``vip ACTION`` with
    ``params`` as the OCF_RESKEY_ variables."""
    env = {f"OCF_RESKEY_{k}": v for k, v in params.items()}
    err = io.StringIO()
    rc = Vip.run(["vip", action], environ=env, stdout=io.StringIO(), stderr=err)
    return rc, [l for l in err.getvalue().splitlines() if l.startswith("ocf-exit-reason:")]
