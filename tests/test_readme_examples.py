"""The README's pytest example runs and passes as written."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_testing_example_passes_as_written(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "def test_" in b)
    (tmp_path / "test_example.py").write_text(example)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path / "test_example.py")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]


def quickstart_commands() -> list:
    """The ``ocfpy ...`` lines of the README's quickstart block."""
    text = README.read_text()
    section = text[text.index("## Quickstart"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("ocfpy ")]


def test_the_readme_quickstart_runs_as_an_unprivileged_user():
    import os
    import pwd
    import shlex
    import shutil
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="ocfpy-readme-"))   # pytest's are 0700: nobody needs in
    try:
        _run_quickstart(tmp_path, os, pwd, shlex)
    finally:
        shutil.rmtree(tmp_path)


def _run_quickstart(tmp_path, os, pwd, shlex):
    commands = quickstart_commands()
    assert len(commands) >= 6
    root = README.parent
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "LANG": "C.UTF-8"}
    kwargs = {}
    if os.geteuid() == 0:
        user = pwd.getpwnam("nobody")
        os.chmod(tmp_path, 0o777)
        kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    for command in commands:
        argv = [a.replace("/tmp/", f"{tmp_path}/") for a in shlex.split(command.split(">")[0])]
        proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=300,
                              **kwargs)
        assert proc.returncode == 0, (command, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr
        if ">" in command:
            Path(command.split(">")[1].strip().replace("/tmp/", f"{tmp_path}/")).write_text(proc.stdout)
