"""The imports of detector/ and models/ flow one way: no cycle among modules, none among packages,
models/ never imports detector/, and only the CLI imports the commands.

The graph is read from the source files with ``ast`` (nothing is imported): every ``import`` and
``from ... import`` counts, at module level or inside a function, except those under
``if TYPE_CHECKING:`` (they never run). The layering rules count those too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("detector", "models")

KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()  # run <-> live went with the types branch
"""Module pairs allowed to import each other for now, each with the branch that removes it."""

Graph = Mapping[str, frozenset[str]]


def module_name(path: Path, root: Path = ROOT) -> str:
    """``detector/sources/base.py`` -> ``detector.sources.base``; a package's ``__init__.py`` -> the package."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``, by dotted name."""
    return {module_name(path, root): path for package in packages for path in sorted((root / package).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(nodes: Iterable[ast.AST], *, type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``nodes`` and below; those under ``if TYPE_CHECKING:`` only when asked."""
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test) and not type_checking:
            yield from _import_nodes(node.orelse, type_checking=type_checking)
        else:
            yield from _import_nodes(ast.iter_child_nodes(node), type_checking=type_checking)


def imported_modules(
    source: str, module: str, known: Iterable[str], *, is_package: bool = False, type_checking: bool = False
) -> frozenset[str]:
    """The modules among ``known`` that the code of ``module`` imports.

    ``from a.b import c`` imports the module ``a.b.c`` when there is one, else the names of ``a.b``.
    Relative imports are resolved against ``module`` (a package's own name when ``is_package``).
    """
    known = frozenset(known)
    here = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes([ast.parse(source)], type_checking=type_checking):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            submodule = f"{base}.{alias.name}" if base else alias.name
            found.add(submodule if submodule in known else base)
    return frozenset(name for name in found if name in known and name != module)


def import_graph(files: Mapping[str, Path], *, type_checking: bool = False) -> dict[str, frozenset[str]]:
    """Module -> the modules of ``files`` it imports."""
    return {
        module: imported_modules(
            path.read_text(encoding="utf-8"), module, files, is_package=path.name == "__init__.py", type_checking=type_checking
        )
        for module, path in files.items()
    }


def package_of(module: str) -> str:
    """The sub-package of a module inside one: ``detector.sources.base`` -> ``detector.sources``."""
    return ".".join(module.split(".")[:2])


def package_graph(graph: Graph, modules_in_subpackages: frozenset[str]) -> dict[str, frozenset[str]]:
    """The module graph collapsed onto sub-packages (a top-level module stays its own node)."""

    def node(module: str) -> str:
        return package_of(module) if module in modules_in_subpackages else module

    collapsed: dict[str, set[str]] = {}
    for module, targets in graph.items():
        collapsed.setdefault(node(module), set()).update(node(t) for t in targets if node(t) != node(module))
    return {name: frozenset(targets) for name, targets in collapsed.items()}


def without(graph: Graph, pairs: Iterable[frozenset[str]]) -> dict[str, frozenset[str]]:
    """``graph`` less the edges, both ways, between the modules of each pair."""
    drop = {(a, b) for pair in pairs for a in pair for b in pair if a != b}
    return {module: frozenset(t for t in targets if (module, t) not in drop) for module, targets in graph.items()}


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # iterative: no recursion limit on deep graphs
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def graph_of(sources: Mapping[str, str], *, type_checking: bool = False) -> dict[str, frozenset[str]]:
    """The import graph of modules given as text (a name ending in ``.__init__`` is a package)."""
    names = {name.removesuffix(".__init__") for name in sources}
    return {
        name.removesuffix(".__init__"): imported_modules(
            text, name.removesuffix(".__init__"), names, is_package=name.endswith(".__init__"), type_checking=type_checking
        )
        for name, text in sources.items()
    }


def test_a_cycle_through_an_import_inside_a_function_is_found():
    graph = graph_of({"pkg.a": "import pkg.b\n", "pkg.b": "def f():\n    from pkg import a\n"})
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_an_import_under_type_checking_is_no_edge_but_its_else_branch_is():
    text = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\nelse:\n    import pkg.c\n"
    graph = graph_of({"pkg.a": "import pkg.b\n", "pkg.b": text, "pkg.c": ""})
    assert cycles(graph) == [] and graph["pkg.b"] == {"pkg.c"}
    assert graph_of({"pkg.a": "", "pkg.b": text, "pkg.c": ""}, type_checking=True)["pkg.b"] == {"pkg.a", "pkg.c"}


def test_relative_imports_resolve_against_the_importing_module():
    graph = graph_of({"pkg.__init__": "from . import a\n", "pkg.a": "from .b import x\n", "pkg.b": ""})
    assert graph["pkg"] == {"pkg.a"} and graph["pkg.a"] == {"pkg.b"}


def test_modules_that_do_not_import_each_other_can_still_make_a_package_cycle():
    # the shape sources <-> store had: store imported sources.base, sources.prometheus imported store
    graph = graph_of({"d.store": "from d.sub.base import Raw\n", "d.sub.base": "", "d.sub.prom": "import d.store\n"})
    assert cycles(graph) == []
    assert cycles(package_graph(graph, frozenset({"d.sub.base", "d.sub.prom"}))) == [["d.store", "d.sub"]]


def test_a_known_pair_is_excused_only_between_its_two_modules():
    graph = graph_of({"p.a": "import p.b\n", "p.b": "import p.a\nimport p.c\n", "p.c": "import p.b\n"})
    assert cycles(without(graph, [frozenset({"p.a", "p.b"})])) == [["p.b", "p.c"]]


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    return source_files()


@pytest.fixture(scope="module")
def graph(files: dict[str, Path]) -> dict[str, frozenset[str]]:
    return import_graph(files)


@pytest.fixture(scope="module")
def every_import(files: dict[str, Path]) -> dict[str, frozenset[str]]:
    return import_graph(files, type_checking=True)


def test_the_graph_holds_imports_the_code_is_known_to_make(graph):
    assert "detector.errors" in graph["detector.cli"]  # module level
    assert "detector.service.live" in graph["detector.commands.run"]  # inside a function
    assert "detector.sources.base" in graph["detector.sources.export"]  # a sub-package's module
    assert "models.analysis" in graph["models.pipeline"]


def test_no_module_of_detector_or_models_imports_itself_back(graph):
    assert cycles(without(graph, KNOWN_CYCLES)) == []


def test_no_package_of_detector_imports_itself_back(files, graph):
    in_subpackages = frozenset(module for module, path in files.items() if path.parent.parent != ROOT)
    assert cycles(package_graph(without(graph, KNOWN_CYCLES), in_subpackages)) == []


def test_each_known_cycle_is_still_there_else_its_exception_goes(graph):
    remaining = cycles(graph)
    for pair in KNOWN_CYCLES:
        assert any(pair <= set(component) for component in remaining), (
            f"{sorted(pair)} no longer import each other: delete the pair from KNOWN_CYCLES"
        )


def test_models_never_import_detector(every_import):
    offenders = {
        module: sorted(t for t in targets if t.split(".")[0] == "detector")
        for module, targets in every_import.items()
        if module.split(".")[0] == "models"
    }
    assert {module: targets for module, targets in offenders.items() if targets} == {}


def test_nothing_but_the_cli_imports_the_commands(every_import):
    excused = {module for pair in KNOWN_CYCLES for module in pair if not module.startswith("detector.commands")}
    importers = {
        module
        for module, targets in every_import.items()
        if not module.startswith("detector.commands")
        and any(t == "detector.commands" or t.startswith("detector.commands.") for t in targets)
    }
    assert importers - excused == {"detector.cli"}
