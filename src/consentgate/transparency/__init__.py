"""The political transparency register (a service, issue 16): every app approved for
``political_campaigning`` and the people it reached, counted from the ledger up to a named
checkpoint (``register``), with the counting and suppression rule in one place
(``counting``), a CSV form (``export``), and the recount anyone with the leaves can run
against a server (``recount``). docs/elections.md explains the rules."""

from consentgate.transparency.counting import (
    MIN_CELL_SIZE,
    UNKNOWN_COUNTRY,
    Published,
    Reach,
    count_reach,
    publish,
)
from consentgate.transparency.export import register_csv
from consentgate.transparency.recount import AppRecount, Recount, recount_register
from consentgate.transparency.register import (
    CheckpointRef,
    PoliticalRegister,
    RegisterEntry,
    RegisterPage,
)

__all__ = [
    "MIN_CELL_SIZE",
    "UNKNOWN_COUNTRY",
    "AppRecount",
    "CheckpointRef",
    "PoliticalRegister",
    "Published",
    "Reach",
    "Recount",
    "RegisterEntry",
    "RegisterPage",
    "count_reach",
    "publish",
    "recount_register",
    "register_csv",
]
