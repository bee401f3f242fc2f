"""Harvest detection and containment: signals from every read decision (``signals``),
rules over them (``rules``), the per-process detector (``detector``), containment that
suspends the app and opens an incident (``containment``, ``incidents``), and the operator's
signed webhook (``webhook``)."""

from consentgate.detect.rules import Finding, Thresholds
from consentgate.detect.signals import ReadEvent

__all__ = ["Finding", "ReadEvent", "Thresholds"]
