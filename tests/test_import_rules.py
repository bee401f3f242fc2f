"""The shape of the package, read from its imports (``ast``, every import anywhere in a
module): the tiers point inwards — core ← rooms ← breach < stores < gateway < rights ←
runtime ← edges — rooms use each other only through a room's package (its public API) and
without cycles, only a table's owner imports it, and the edges (api, cli, web) run no SQL
of their own."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from consentgate.storage.tables import metadata

SRC = Path(__file__).resolve().parents[1] / "src" / "consentgate"

TIERS: list[tuple[str, set[str]]] = [
    (
        "core",
        {
            "errors",
            "clock",
            "catalog",
            "policy",
            "validation",
            "logs",
            "settings",
            "storage",
            "authz",
            "tokens",
            "deadlines",
        },
    ),
    (
        "rooms",
        {
            "sources",
            "apps",
            "consent",
            "operators",
            "ledger",
            "detect",
            "subjects",
            "notices",
            "analytics",
        },
    ),
    ("breach", {"breach"}),
    ("stores", {"stores"}),
    ("gateway", {"gateway"}),
    ("rights", {"rights", "transparency"}),
    ("runtime", {"runtime"}),
    ("edges", {"api", "web", "cli", "sim", "testing", "__main__", "__init__"}),
]
ROOMS = TIERS[1][1]
NO_SQL = {"api", "web", "cli"}

# each table and the one package that reads and writes it
OWNERS = {
    "apps": "apps",
    "app_events": "apps",
    "consents": "consent",
    "consent_events": "consent",
    "operator_keys": "operators",
    "subject_keys": "ledger",
    "ledger_leaves": "ledger",
    "ledger_nodes": "ledger",
    "ledger_checkpoints": "ledger",
    "platform_subjects": "sources",
    "settings": "sources",
    "incidents": "breach",
    "incident_subjects": "breach",
    "breaches": "breach",
    "breach_subjects": "breach",
    "breach_events": "breach",
    "subject_states": "subjects",
    "notices": "notices",
    "notice_outbox": "notices",
    "rights_requests": "rights",
    "rights_request_events": "rights",
    "signing_keys": "storage",
    "decision_version": "storage",
    "server_secrets": "storage",
    "metadata": "storage",
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. consentgate.apps.store
    target: str  # what it imports, e.g. consentgate.storage.tables
    names: tuple[str, ...]  # for ``from target import a, b``
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> Iterator[Import]:
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, (), node.lineno)
            elif isinstance(node, ast.ImportFrom):
                target = node.module or ""
                if node.level:  # relative: resolve against the package
                    base = package.rsplit(".", node.level - 1)[0]
                    target = f"{base}.{target}" if target else base
                yield Import(module, target, tuple(a.name for a in node.names), node.lineno)


def _part(module: str) -> str:
    """The package or top-level module of consentgate a module belongs to."""
    parts = module.split(".")
    if parts[0] != "consentgate":
        return ""
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _tier(part: str) -> int:
    for index, (_, members) in enumerate(TIERS):
        if part in members:
            return index
    raise AssertionError(f"consentgate.{part} is in no tier: add it to TIERS (and plan.md)")


def _where(i: Import) -> str:
    return f"{i.module}:{i.line} imports {i.target}"


def _ours(imports: list[Import]) -> list[Import]:
    return [i for i in imports if _part(i.target)]


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return list(_imports())


def test_every_part_of_the_package_has_a_tier(imports: list[Import]) -> None:
    for i in imports:
        _tier(_part(i.module))


def test_lower_tiers_never_import_higher_ones(imports: list[Import]) -> None:
    wrong = [
        f"{_where(i)} ({TIERS[_tier(_part(i.module))][0]} -> {TIERS[_tier(_part(i.target))][0]})"
        for i in _ours(imports)
        if _tier(_part(i.module)) < _tier(_part(i.target))
    ]
    assert wrong == []


def test_rooms_use_another_room_only_through_its_package_and_without_cycles(
    imports: list[Import],
) -> None:
    uses: dict[str, set[str]] = {}
    wrong = []
    for i in _ours(imports):
        mine, theirs = _part(i.module), _part(i.target)
        if mine in ROOMS and theirs in ROOMS and mine != theirs:
            uses.setdefault(mine, set()).add(theirs)
            if i.target != f"consentgate.{theirs}":
                wrong.append(f"{_where(i)}: use consentgate.{theirs}, its public API")
    assert wrong == []

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            room == goal or (room not in seen and reaches(room, goal, seen | {room}))
            for room in uses.get(start, set())
        )

    cycles = [room for room in uses if reaches(room, room, {room})]
    assert cycles == [], f"rooms import each other in a cycle: {uses}"


def test_only_a_tables_owner_imports_it(imports: list[Import]) -> None:
    assert set(OWNERS) == {*metadata.tables, "metadata"}, "every table needs exactly one owner"
    wrong = []
    for i in imports:
        if i.target == "consentgate.storage.tables":
            wrong += [
                f"{_where(i)}.{name} (owned by {OWNERS.get(name, '?')})"
                for name in i.names
                if OWNERS.get(name) != _part(i.module)
            ]
            if not i.names and _part(i.module) != "storage":
                wrong.append(_where(i))
        elif i.target.startswith("consentgate.storage.tables.") or (
            i.target == "consentgate.storage" and "tables" in i.names
        ):
            wrong.append(_where(i))
    assert wrong == []


def test_the_edges_run_no_sql_of_their_own(imports: list[Import]) -> None:
    wrong = [
        _where(i)
        for i in imports
        if _part(i.module) in NO_SQL
        and (
            i.target == "sqlalchemy"
            or i.target.startswith("sqlalchemy.")
            or i.target.startswith("consentgate.storage.tables")
        )
    ]
    assert wrong == []


def test_tests_share_helpers_only_through_the_support_module() -> None:
    """No test imports another test module or ``conftest``: shared helpers live in
    ``tests/support.py`` (fixtures in ``conftest.py``, which pytest finds by itself)."""
    tests = Path(__file__).resolve().parent
    wrong = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                targets = [("." * node.level) + (node.module or "")]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            wrong += [
                f"{path.relative_to(tests)}:{node.lineno} imports {target}"
                for target in targets
                if target.startswith(".")
                or (target.startswith("tests") and target != "tests.support")
            ]
    assert wrong == []
