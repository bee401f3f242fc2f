"""Sources of personal data (a room; the demo platform's tables ``platform_subjects`` and
``settings``): the ``Source`` protocol, the SQL adapter and its mapping file, the demo
platform."""

from consentgate.sources.base import Record, Source
from consentgate.sources.mapping import SourceConfig, load_mapping
from consentgate.sources.sql import SqlMapping, SqlSource

__all__ = ["Record", "Source", "SourceConfig", "SqlMapping", "SqlSource", "load_mapping"]
