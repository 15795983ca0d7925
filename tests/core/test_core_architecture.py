"""The tree shows the architecture (issue 12): the framework core imports
nothing agent-specific, agent families import only the core and their own
helpers, and no import cycle exists among shipped modules (counting imports
inside functions too). Read from the source with ast: nothing is imported."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: shipped package -> its directory in this checkout
PACKAGES = {"ocfpy": REPO / "ocfpy", "ocfpy_agents": REPO / "agents",
            "ocfpy_snippets": REPO / "crm_snippets"}
#: the framework core: what every agent imports
CORE = {f"ocfpy.{p.stem}" for p in (REPO / "ocfpy").glob("*.py")
        if p.stem not in ("__init__", "cli")} | {"ocfpy"}


def shipped_modules() -> dict:
    """dotted name -> file, for every shipped module."""
    out = {}
    for package, root in PACKAGES.items():
        for path in root.rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            parts = [package] + [p for p in rel.parts if p != "__init__"]
            out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path, known) -> set:
    """Shipped modules that ``name`` imports anywhere in its file."""
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


@pytest.fixture(scope="module")
def graph():
    mods = shipped_modules()
    return {name: imports_of(name, path, mods) for name, path in mods.items()}


def test_the_framework_core_imports_nothing_agent_specific(graph):
    bad = {m: sorted(t for t in targets if not (t in CORE or t == "ocfpy_agents"))
           for m, targets in graph.items() if m in CORE}
    assert {m: t for m, t in bad.items() if t} == {}


def test_agent_families_import_only_the_core_and_their_own_family(graph):
    bad = {}
    for m, targets in graph.items():
        if not m.startswith("ocfpy_agents."):
            continue
        family = ".".join(m.split(".")[:2])
        wrong = [t for t in targets if not (t in CORE or t == family or t.startswith(family + "."))]
        if wrong:
            bad[m] = sorted(wrong)
    assert bad == {}


def test_no_import_cycle_among_shipped_modules(graph):
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "active"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "active":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []


def test_the_checker_sees_a_cycle_and_a_forbidden_import(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from ocfpy_agents.vip import agent\n")
    b.write_text("import ocfpy.agent\n")
    known = {"ocfpy_agents.vip.agent", "ocfpy_agents.vip", "ocfpy.agent"}
    assert imports_of("ocfpy.a", a, known) == {"ocfpy_agents.vip", "ocfpy_agents.vip.agent"}
    assert imports_of("ocfpy.b", b, known) == {"ocfpy.agent"}


def test_no_module_imports_another_modules_underscore_names():
    bad = []
    for name, path in shipped_modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("ocfpy", "ocfpy_")):
                bad += [f"{name}: {node.module}.{a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    assert bad == []
