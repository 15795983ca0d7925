"""Bench: 1000 primitives + 1000 constraints built, linted, schema-validated and
rendered to XML, pcs and crmsh (goal < 0.5 s), then the same content loaded with
``crm configure load update`` into a CIB file, for the ratio (goal >= 100x).

Run: ``python bench/bench_cib.py [--primitives N] [--constraints N] [--no-crm]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ocfpy.cib.generate import generate  # noqa: E402
from ocfpy.cib.lint import lint  # noqa: E402
from ocfpy.cib.render_crmsh import render_crmsh  # noqa: E402
from ocfpy.cib.render_pcs import render_pcs  # noqa: E402
from ocfpy.cib.render_xml import to_cib  # noqa: E402
from ocfpy.cib.validate import load_schema, validate_schema  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--primitives", type=int, default=1000)
    ap.add_argument("--constraints", type=int, default=1000)
    ap.add_argument("--schema", default="pacemaker-3.9")
    ap.add_argument("--no-crm", action="store_true")
    a = ap.parse_args()

    load_schema(a.schema)  # compiling the RelaxNG is a one-time cost per process
    t = {}
    t0 = time.perf_counter()
    cfg = generate(a.primitives, a.constraints)
    t["build"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    findings = [f for f in lint(cfg) if f.level == "error"]
    t["lint"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cib = to_cib(cfg, a.schema)
    t["xml"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    schema_errors = validate_schema(cib, a.schema)
    t["validate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    render_pcs(cfg, a.schema, cib_file="cib.xml")
    t["pcs"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    script = render_crmsh(cfg, a.schema)
    t["crmsh"] = time.perf_counter() - t0
    total = sum(t.values())
    print(f"{a.primitives} primitives + {a.constraints} constraints "
          f"({len(cfg.resources)} top-level resources)")
    for k, v in t.items():
        print(f"  {k:9s} {v * 1000:8.1f} ms")
    print(f"  {'total':9s} {total * 1000:8.1f} ms  (goal < 500 ms: "
          f"{'met' if total < 0.5 else 'MISSED'}); lint errors {len(findings)}, "
          f"schema errors {len(schema_errors)}")

    if a.no_crm or shutil.which("crm") is None:
        print("crm configure load update: skipped" + ("" if a.no_crm else " (crm not installed)"))
        return 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "cib.xml")
        with open(path, "w") as f:
            f.write(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True,
                                   check=True).stdout)
        t0 = time.perf_counter()
        p = subprocess.run(["crm", "-F", "configure", "load", "update", "-"], input=script,
                           capture_output=True, text=True, env={**os.environ, "CIB_file": path})
        crm_s = time.perf_counter() - t0
    print(f"crm configure load update: {crm_s:.2f} s (rc {p.returncode})")
    print(f"ratio crm/ocfpy: {crm_s / total:.0f}x (goal >= 100x)")
    return 0 if p.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
