"""Harvest detection (a room with no tables): signals from every read decision
(``signals``), rules over them (``rules``) and the detector (``detector``), which only finds
— a ``Finding`` — and never acts; its windows live in the process, or in Redis shared by
every server process (``shared``, ``CONSENTGATE_REDIS_URL``). Containment is
``breach.containment.contain``, handed to the gateway by the composition root."""

from consentgate.detect.detector import Detector, memory_windows
from consentgate.detect.rules import Finding, Thresholds
from consentgate.detect.shared import connect_redis, redis_windows
from consentgate.detect.signals import ReadEvent

__all__ = [
    "Detector",
    "Finding",
    "ReadEvent",
    "Thresholds",
    "connect_redis",
    "memory_windows",
    "redis_windows",
]
