"""The import graph is a DAG, and an import sits inside a function only for a reason.

Read from the sources' syntax trees (nothing is imported): the module-level imports of perfbook/ make no
cycle, and a function-level import is one of: an optional or heavy dependency, or a module of ours that
loads one (loaded when used, so that `import perfbook` and the command line start fast), a subcommand's engine in perfbook/commands (loaded
when that subcommand runs), a standard-library module inside a try (a platform's module), or an import
that would close a cycle at module level (data that still flows upstream; docs/architecture.md lists them).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "perfbook"
LAZY = {"pandas", "sqlalchemy", "xlsxwriter", "oletools", "olefile", "dask", "distributed", "xlwings",
        "psycopg", "tqdm", "openpyxl", "numpy", "lxml", "xlrd", "python_calamine", "jinja2"}

if not (PKG / "write").is_dir():
    pytest.skip("the subpackage layout is not in place yet", allow_module_level=True)


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = p
    return out


MODS = _modules()


def _targets(node, me: str, pkg: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = me.split(".") if pkg else me.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        mod = ".".join(base + ([node.module] if node.module else []))
    else:
        mod = node.module or ""
    return [f"{mod}.{a.name}" if f"{mod}.{a.name}" in MODS else mod for a in node.names]


def _runs(targets: list[str], me: str) -> list[str]:
    """The targets and the packages importing them runs first (but perfbook itself, and a package the
    importer is in: those are running already)."""
    out = list(targets)
    for t in targets:
        parts = t.split(".")
        out += [p for p in (".".join(parts[:i]) for i in range(2, len(parts)))
                if p in MODS and not (me == p or me.startswith(p + "."))]
    return out


def _guards_import(t: ast.Try) -> bool:
    """A try that catches a failed import: an import in its body may be meant to fail softly."""
    for h in t.handlers:
        names = {x.id for x in ast.walk(h.type) if isinstance(x, ast.Name)} if h.type is not None else set()
        if names & {"ImportError", "ModuleNotFoundError"}:
            return True
    return False


def _imports():
    """(module, node, at module level, inside a try) for every import statement."""
    out = []
    for m, p in MODS.items():
        tree = ast.parse(p.read_text("utf-8"))

        def visit(ch, in_fn, in_try, m=m):
            if isinstance(ch, ast.If) and "TYPE_CHECKING" in ast.unparse(ch.test):
                return
            if isinstance(ch, (ast.Import, ast.ImportFrom)):
                out.append((m, ch, not in_fn, in_try))
            fn = isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(ch, ast.Try) and _guards_import(ch):
                for part in ch.body:
                    visit(part, in_fn, True)
                for part in [*ch.handlers, *ch.orelse, *ch.finalbody]:
                    visit(part, in_fn, in_try)
                return
            for sub in ast.iter_child_nodes(ch):
                visit(sub, in_fn or fn, in_try and not fn)
        visit(tree, False, False)
    return out


IMPORTS = _imports()


def _graph() -> dict[str, set[str]]:
    g: dict[str, set[str]] = {m: set() for m in MODS}
    for m, node, top, _ in IMPORTS:
        if top:
            g[m] |= {t for t in _runs(_targets(node, m, MODS[m].name == "__init__.py"), m) if t != m}
    return g


def _heavy() -> set[str]:
    """LAZY, and what tests/test_startup.py says a one-file command must not load."""
    out = set(LAZY)
    startup = ROOT / "tests" / "test_startup.py"
    if startup.exists():
        for node in ast.walk(ast.parse(startup.read_text("utf-8"))):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "HEAVY" for t in node.targets):
                out |= set(ast.literal_eval(node.value))
    return out


def _loads(g, m: str) -> set[str]:
    seen, todo = set(), [m]
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo += g.get(x, ())
    return seen


def _is_heavy(name: str, heavy: set[str]) -> bool:
    parts = name.split(".")
    return any(".".join(parts[:i]) in heavy for i in range(1, len(parts) + 1))


def _reaches(g, a: str, b: str) -> bool:
    seen, todo = set(), [a]
    while todo:
        x = todo.pop()
        if x == b:
            return True
        if x not in seen:
            seen.add(x)
            todo += g.get(x, ())
    return False


def test_module_level_imports_make_no_cycle():
    g = {m: {t for t in ts if t in MODS} for m, ts in _graph().items()}
    cycles = sorted({tuple(sorted((a, b))) for a in g for b in g[a] if _reaches(g, b, a)})
    assert not cycles, f"module-level import cycles: {cycles}"


def _patched() -> set[tuple[str, str]]:
    """(module's last name, attribute) that tests replace with monkeypatch.setattr: an import of it stays
    late-bound so that the patch reaches it."""
    out = set()
    for p in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "setattr" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                out.add((ast.unparse(node.args[0]).rpartition(".")[2], node.args[1].value))
    return out


def test_a_function_level_import_has_a_reason():
    g, heavy, patched = _graph(), _heavy(), _patched()
    unexplained = []
    for m, node, top, in_try in IMPORTS:
        if top or m.startswith("perfbook.commands"):
            continue
        names = _targets(node, m, MODS[m].name == "__init__.py")
        roots = {n.split(".")[0] for n in names}
        if roots <= LAZY or (in_try and all(r in sys.stdlib_module_names for r in roots)):
            continue
        if isinstance(node, ast.ImportFrom) and any((t.rpartition(".")[2], a.name) in patched
                                                    for t in names for a in node.names):
            continue                    # a test patches it in its module
        ours = [t for t in _runs(names, m) if t in MODS]
        if ours and all(t in MODS for t in names) and any(_reaches(g, t, m) for t in ours):
            continue                    # at module level it would close a cycle
        before = {x for x in _loads(g, m) if _is_heavy(x, heavy)}
        if any(x not in before for t in names for x in _loads(g, t) if _is_heavy(x, heavy)):
            continue                    # at module level it would make start-up load something heavy
        line = MODS[m].read_text("utf-8").splitlines()[node.lineno - 1].strip()
        unexplained.append(f"{MODS[m].relative_to(ROOT)}:{node.lineno}: {line}")
    assert not unexplained, "imports inside functions with no reason (move them to the module's top):\n" + \
        "\n".join(unexplained)


def test_reference_implementation_is_not_shipped():
    assert not (PKG / "reference.py").exists()
    assert (ROOT / "tests" / "support" / "reference.py").exists()
