"""consentgate: releases each field of a person's record to a third-party app only under
that person's own live consent, records every disclosure in a verifiable ledger before the
data leaves, contains harvesting apps while they harvest, and runs the GDPR workflows from
that ledger.

What an integrator needs is re-exported here::

    from consentgate import create_app, load_settings, open_runtime

    runtime = open_runtime(load_settings())  # CONSENTGATE_*: CONSENTGATE_SOURCE=mapping.toml
    app = create_app(runtime)  # FastAPI; its lifespan starts and stops the runtime's threads

- the composition root: ``open_runtime``, ``Runtime``, ``Settings``, ``load_settings``;
  the HTTP service: ``create_app``;
- where personal data lives: the ``Source`` protocol, ``SqlSource`` with ``SqlMapping``,
  ``load_mapping`` (a mapping file);
- the decision, pure: ``decide``, ``AppView``, ``SubjectView``, ``ConsentView``,
  ``SubjectState``, ``Decision``, ``Reason``, ``AppStatus``; the catalog: ``Catalog``,
  ``default_catalog``, ``load_catalog``;
- who acts: ``Actor``, ``allowed``; errors: ``ConsentGateError`` (the root of the tree in
  ``consentgate.errors``).

The decision and the catalog load at once; the runtime, the HTTP service, the sources and
the settings (SQLAlchemy, FastAPI, cryptography) load on first use, so ``import
consentgate`` — and every ``consentgate.<module>`` import — stays light.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from consentgate.authz import Actor, allowed
from consentgate.catalog import Catalog, default_catalog, load_catalog
from consentgate.errors import ConsentGateError
from consentgate.policy import (
    AppStatus,
    AppView,
    ConsentView,
    Decision,
    Reason,
    SubjectState,
    SubjectView,
    decide,
)

if TYPE_CHECKING:
    from consentgate.api import create_app
    from consentgate.runtime import Runtime, open_runtime
    from consentgate.settings import Settings, load_settings
    from consentgate.sources import Source, SqlMapping, SqlSource, load_mapping

try:
    __version__ = version("consentgate")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

# loaded on first use: name -> the module that defines it
_LAZY = {
    "Runtime": "consentgate.runtime",
    "open_runtime": "consentgate.runtime",
    "create_app": "consentgate.api",
    "Settings": "consentgate.settings",
    "load_settings": "consentgate.settings",
    "Source": "consentgate.sources",
    "SqlMapping": "consentgate.sources",
    "SqlSource": "consentgate.sources",
    "load_mapping": "consentgate.sources",
}

__all__ = [
    "Actor",
    "AppStatus",
    "AppView",
    "Catalog",
    "ConsentGateError",
    "ConsentView",
    "Decision",
    "Reason",
    "Runtime",
    "Settings",
    "Source",
    "SqlMapping",
    "SqlSource",
    "SubjectState",
    "SubjectView",
    "__version__",
    "allowed",
    "create_app",
    "decide",
    "default_catalog",
    "load_catalog",
    "load_mapping",
    "load_settings",
    "open_runtime",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'consentgate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
