"""The layers stay one-way (README, "How a tender flows"): a check over every import, with ast.

dags/, plugins/   import radar only (and airflow, the standard library)
radar/            the application: imports everything below
scrapers/ matching/ notifications/   the stages: import the core only
                                     (notifications may read matching's result types)
tenders/          the core: imports nothing of the project

and the store hands out model types, never its ORM rows.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OURS = ("tenders", "scrapers", "matching", "notifications", "radar")
STAGES = ("scrapers", "matching", "notifications")
MAX_LINES = 600
# Allowed crossings, each with its reason: none. The lab, which reads real notices through the
# scrapers, lives in the application (radar/lab/), not in the matching stage.
EXCEPTIONS: set[tuple[str, str]] = set()
# Subscriber, the reason rules, the names of the size signs
NOTIFICATIONS_MAY_READ = {"matching.classify", "matching.rules", "matching.scale", "matching.subscriptions"}


def sources(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((PROJECT / folder).rglob("*.py"))


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(PROJECT).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports, at the top or inside a function (a lazy import is still one)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def top(name: str) -> str:
    return name.split(".")[0]


def violations(folders: tuple[str, ...], allowed: set[str]) -> list[str]:
    out = []
    for path in sources(*folders):
        here = module_of(path)
        for line, name in imports(path):
            if top(name) in OURS and top(name) not in allowed and (here, name) not in EXCEPTIONS:
                out.append(f"{path.relative_to(PROJECT)}:{line} imports {name}")
    return out


def test_the_core_imports_nothing_above_it() -> None:
    assert violations(("tenders",), {"tenders"}) == []


def test_a_stage_imports_only_the_core() -> None:
    assert violations(("scrapers",), {"tenders", "scrapers"}) == []
    assert violations(("matching",), {"tenders", "matching"}) == []
    found = violations(("notifications",), {"tenders", "notifications", "matching"})
    found += [
        f"{path.relative_to(PROJECT)}:{line} imports {name}"
        for path in sources("notifications")
        for line, name in imports(path)
        if top(name) == "matching" and name not in NOTIFICATIONS_MAY_READ
    ]
    assert found == []


def test_the_stages_never_import_the_store() -> None:
    """Matching and notifications read the core's result types (tenders.results), never ORM rows."""
    found = [
        f"{path.relative_to(PROJECT)}:{line} imports {name}"
        for path in sources(*STAGES)
        for line, name in imports(path)
        if name == "tenders.store" or name.startswith(("tenders.store.", "sqlalchemy"))
    ]
    assert found == []


def test_dags_and_plugins_import_only_the_application() -> None:
    found = []
    for path in sources("dags", "plugins"):
        for line, name in imports(path):
            if top(name) in {"radar", "airflow", "__future__"} or top(name) in sys.stdlib_module_names:
                continue
            found.append(f"{path.relative_to(PROJECT)}:{line} imports {name}")
    assert found == []


def test_production_code_never_reads_the_tests_folder() -> None:
    found = []
    for path in sources(*OURS, "dags", "plugins"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and re.search(r"(^|/)tests(/|$)", node.value)
            ):
                found.append(f"{path.relative_to(PROJECT)}:{node.lineno} names {node.value!r}")
    assert found == []


def test_no_source_file_passes_600_lines() -> None:
    long = [
        f"{path.relative_to(PROJECT)}: {n} lines"
        for path in sources(*OURS, "dags", "plugins", "tests")
        if "fixtures" not in path.parts and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []


def test_the_check_sees_a_violation() -> None:
    """The checks above read real imports: a core module importing the application would be found."""
    tree = list(imports(PROJECT / "radar" / "pipeline.py"))
    assert any(top(name) == "scrapers" for _, name in tree) and any(top(name) == "matching" for _, name in tree)


def imported_modules(source: str, module: str) -> Iterator[tuple[int, str]]:
    """Every module a file (source, named module) imports, relative imports resolved: ``from .x import y``
    in tests.helpers.a gives tests.helpers.x and tests.helpers.x.y (y may be a module)."""
    package = module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, name
            for alias in node.names:
                yield node.lineno, f"{name}.{alias.name}"


def imports_of_test_modules(source: str, module: str) -> list[str]:
    """The test modules (tests/**/test_*.py) that a file imports, as "line: module"."""
    found: dict[str, None] = {}
    for line, name in imported_modules(source, module):
        parts = name.split(".")
        test = next((i for i, part in enumerate(parts) if i and part.startswith("test_")), None)
        if parts[0] == "tests" and test is not None:
            found[f"{line}: {'.'.join(parts[: test + 1])}"] = None
    return list(found)


def test_no_test_module_imports_another_test_module() -> None:
    """Shared helpers live in tests/helpers/ (fixtures in tests/conftest.py): a test module that imports
    another one runs that module's fixtures and import-time work, and breaks when it is moved or cut."""
    found = [
        f"{path.relative_to(PROJECT)}:{hit}"
        for path in sources("tests")
        if "fixtures" not in path.parts
        for hit in imports_of_test_modules(path.read_text(encoding="utf-8"), module_of(path))
    ]
    assert found == []


def test_the_test_module_check_sees_each_spelling() -> None:
    spellings = ["from .test_browser import axe", "from tests.test_dags import python", "from . import test_dags",
                 "import tests.test_scheduler", "from ..test_buyers_plan import workbook"]  # fmt: skip
    module = {
        spelling: "tests.helpers.x" if spelling.startswith("from ..") else "tests.test_x" for spelling in spellings
    }
    assert [s for s in spellings if not imports_of_test_modules(s, module[s])] == []
    assert (
        imports_of_test_modules("from .helpers.browser import axe\nfrom .conftest import outbox", "tests.test_x") == []
    )


def import_graph() -> dict[str, set[str]]:
    """Each project module -> the project modules it imports (at the top or inside a function)."""
    known = {module_of(path) for path in sources(*OURS)}
    graph: dict[str, set[str]] = {module: set() for module in known}
    for path in sources(*OURS):
        here = module_of(path)
        for _, name in imported_modules(path.read_text(encoding="utf-8"), here):
            target = name
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != here:
                graph[here].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    assert circles(import_graph()) == []


def test_the_circle_check_sees_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def row_classes_in(hint: object, seen: set[type] | None = None) -> set[str]:
    """The ORM row classes a type mentions: in its arguments (list[X], X | None, tuple[...]) and in
    the fields of the dataclasses it names (a result that carries a row hands it out too)."""
    from tenders.store.tables import Base

    seen = set() if seen is None else seen
    found = {hint.__name__} if isinstance(hint, type) and issubclass(hint, Base) else set()
    for inner in hint if isinstance(hint, list) else typing.get_args(hint):  # a Callable's arguments: a list
        found |= row_classes_in(inner, seen)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint not in seen:
        seen.add(hint)
        for field_type in typing.get_type_hints(hint).values():
            found |= row_classes_in(field_type, seen)
    return found


def rows_handed_out(*classes: type) -> list[str]:
    """Each public method of ``classes`` whose return type (or an overload's) mentions an ORM row."""
    found = []
    for cls in classes:
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_"):
                continue
            for variant in [method, *typing.get_overloads(method)]:
                rows = row_classes_in(typing.get_type_hints(variant).get("return"))
                if rows:
                    found.append(f"{cls.__name__}.{name} returns {', '.join(sorted(rows))}")
    return sorted(set(found))


def test_the_store_hands_out_model_types_never_orm_rows() -> None:
    """ORM rows stay inside the store (DESIGN.md): a row handed out can be changed and never saved,
    or read after its session is gone. Callers get frozen records (tenders/store/records.py)."""
    from tenders.store import Store
    from tenders.store.buyers import BuyerStore

    assert rows_handed_out(Store, BuyerStore) == []


def test_the_row_check_sees_a_row_handed_out() -> None:
    from tenders.store.tables import DigestRow, SourceRunRow

    def digests() -> None: ...

    digests.__annotations__["return"] = list[DigestRow | None]
    assert rows_handed_out(type("Leaky", (), {"digests": digests})) == ["Leaky.digests returns DigestRow"]
    carrier: typing.Any = dataclasses.make_dataclass("Health", [("last_run", SourceRunRow)])
    assert row_classes_in(dict[str, tuple[int, carrier]]) == {"SourceRunRow"}
    assert row_classes_in(dict[str, tuple[int, str]]) == set()
