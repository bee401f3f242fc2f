"""consentgate: releases each field of a person's record to a third-party app only under
that person's own live consent, records every disclosure in a verifiable ledger before the
data leaves, contains harvesting apps while they harvest, and runs the GDPR workflows from
that ledger.

The library's public entry points are re-exported here; the HTTP service
(``consentgate.api.create_app``) and the command line (``consentgate.cli``) are built on
them. Heavier parts (storage, ledger, detection) are imported from their own modules.
"""

from importlib.metadata import PackageNotFoundError, version

from consentgate.catalog import Catalog, default_catalog, load_catalog
from consentgate.errors import ConsentGateError
from consentgate.policy import AppView, ConsentView, Decision, Reason, SubjectView, decide

try:
    __version__ = version("consentgate")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AppView",
    "Catalog",
    "ConsentGateError",
    "ConsentView",
    "Decision",
    "Reason",
    "SubjectView",
    "__version__",
    "decide",
    "default_catalog",
    "load_catalog",
]
