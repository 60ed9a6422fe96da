"""The library stands alone: nothing under autocoder/ imports the service, and its modules import each other
without a circle (imports inside functions count: a lazy import is still a dependency)."""

import ast
from pathlib import Path

import autocoder

PACKAGE = Path(autocoder.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, as absolute dotted names (relative imports resolved within the package)."""
    package = ["autocoder", *path.relative_to(PACKAGE).parent.parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            found.add(module)
            # "from . import refi" imports the module autocoder.refi
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def module_name(path: Path) -> str:
    parts = ["autocoder", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imported_modules(path) if m in files and m != name} for name, path in files.items()}


def test_the_graph_sees_the_package_and_its_imports():
    graph = library_graph()
    assert len(graph) > 20
    assert "autocoder.classify" in graph["autocoder.pipeline"]
    assert "autocoder.refi" in graph["autocoder.io"]


def test_no_module_of_the_library_imports_the_service():
    offenders = {str(path.relative_to(PACKAGE.parent)): sorted(m for m in imported_modules(path)
                                                             if m == "api" or m.startswith("api."))
                 for path in PACKAGE.rglob("*.py")}
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_inside_the_library():
    assert find_cycle(library_graph()) is None
