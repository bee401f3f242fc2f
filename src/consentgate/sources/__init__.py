"""Sources of personal data: the protocol, the SQL adapter and the demo platform."""

from consentgate.sources.base import Record, Source
from consentgate.sources.sql import SqlMapping, SqlSource

__all__ = ["Record", "Source", "SqlMapping", "SqlSource"]
