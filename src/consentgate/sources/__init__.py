"""Sources of personal data (a room; the demo platform's tables ``platform_subjects`` and
``settings``): the ``Source`` protocol, the SQL adapter and its mapping file, the demo
platform."""

from consentgate.sources.base import (
    READ_ONLY,
    Record,
    Source,
    SourceWrites,
    WritableSource,
    writes_of,
)
from consentgate.sources.mapping import SourceConfig, load_mapping
from consentgate.sources.sql import SqlMapping, SqlSource, SqlWrites

__all__ = [
    "READ_ONLY",
    "Record",
    "Source",
    "SourceConfig",
    "SourceWrites",
    "SqlMapping",
    "SqlSource",
    "SqlWrites",
    "WritableSource",
    "load_mapping",
    "writes_of",
]
