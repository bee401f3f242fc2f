"""Harvest detection (a room with no tables): signals from every read decision
(``signals``), rules over them (``rules``) and the per-process detector (``detector``),
which only finds — a ``Finding`` — and never acts. Containment is
``breach.containment.contain``, handed to the gateway by the composition root."""

from consentgate.detect.detector import Detector
from consentgate.detect.rules import Finding, Thresholds
from consentgate.detect.signals import ReadEvent

__all__ = ["Detector", "Finding", "ReadEvent", "Thresholds"]
