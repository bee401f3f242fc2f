"""The error tree: every ``ConsentGateError`` subclass anywhere in the package is written
in the tree of ``consentgate.errors``' docstring, under its real parent, with the code and
HTTP status it really has — and the docstring names no class that does not exist."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

import consentgate
from consentgate import errors
from consentgate.errors import ConsentGateError

_LINE = re.compile(
    r"^(?P<indent>[\s│├└─]*?)(?P<name>[A-Z]\w+)(?:\s+(?P<code><[a-z ]+>|\S+)\s+(?P<status>\d{3}))?"
)


@dataclass(frozen=True)
class Stated:
    parent: str | None
    code: str | None  # None: inherited; "<decision reason>": per instance
    status: int | None  # None: inherited


def _stated_tree() -> dict[str, Stated]:
    doc = errors.__doc__ or ""
    block = doc.split("::", 1)[1].strip("\n").split("\n\n", 1)[0]
    lines = [line[4:] for line in block.splitlines()]  # the docstring's own indentation
    assert lines[0].split()[0] == "ConsentGateError"
    stated: dict[str, Stated] = {}
    parents = ["ConsentGateError"]
    for line in lines[1:]:
        match = _LINE.match(line)
        assert match, f"unreadable tree line: {line!r}"
        depth = len(match["indent"]) // 4  # "├── " is one level, "│   ├── " two
        parents[depth:] = [match["name"]]
        status = int(match["status"]) if match["status"] else None
        stated[match["name"]] = Stated(parents[depth - 1], match["code"], status)
    return stated


def _every_subclass() -> list[type[ConsentGateError]]:
    for module in pkgutil.walk_packages(consentgate.__path__, "consentgate."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[ConsentGateError]] = []
    pending = list(ConsentGateError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_class_is_in_the_docstring_tree_with_its_code_and_status() -> None:
    stated = _stated_tree()
    classes = {cls.__name__: cls for cls in _every_subclass()}
    assert set(classes) == set(stated), "the tree and the classes disagree"
    for name, cls in classes.items():
        entry = stated[name]
        assert cls.__bases__[0].__name__ == entry.parent, f"{name} is under the wrong parent"
        if entry.code == "<decision reason>":
            assert "error_code" in cls.__dict__, f"{name} should carry a per-instance code"
        elif entry.code is not None:
            assert cls.code == entry.code, name
        else:
            assert cls.code == cls.__bases__[0].code, f"{name} should inherit its code"
        if entry.status is not None:
            assert cls.http_status == entry.status, name
        else:
            assert cls.http_status == cls.__bases__[0].http_status, name


def test_every_error_class_is_exported() -> None:
    classes = {cls.__name__ for cls in _every_subclass()}
    assert classes | {"ConsentGateError"} == set(errors.__all__)


def test_the_ledger_errors_are_in_the_tree() -> None:
    from consentgate.ledger.checkpoint import CheckpointError
    from consentgate.ledger.merkle import ProofError
    from consentgate.ledger.note import NoteError

    assert ProofError.http_status == 400
    assert CheckpointError.http_status == NoteError.http_status == 503
    for cls in (ProofError, CheckpointError, NoteError):
        assert issubclass(cls, ConsentGateError)
