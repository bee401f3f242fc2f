"""The gateway's watch: every read decision, allowed or refused (unknown names included),
goes to the detector; a finding is contained at once through the ``contain`` callable the
composition root gives (``breach.containment.contain`` bound to the stores), and the read
that tipped it releases nothing either.

Containment fails closed: if it cannot be written, the app is held as contained in this
process (every read refused) and containment is retried on its next read.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from consentgate.clock import utc_now
from consentgate.detect import Detector, Finding, ReadEvent

__all__ = ["Watch"]

log = structlog.get_logger("consentgate.detect")


class Watch:
    def __init__(self, detector: Detector, *, contain: Callable[[Finding], object]) -> None:
        self.detector = detector
        self._contain = contain
        self._held: dict[str, Finding] = {}  # contained here, not yet in storage

    def observe(self, event: ReadEvent) -> bool:
        """Account for one read; True if the app was contained because of it (the caller
        then releases nothing)."""
        held = self._held.get(event.app_id)
        finding = held or self.detector.observe(event)
        if finding is None:
            return False
        try:
            self._contain(finding)
        except Exception as exc:  # noqa: BLE001 — fail closed: hold the app, retry next read
            log.error(
                "containment_failed",
                app_id=event.app_id,
                rule=finding.rule,
                error=type(exc).__name__,
            )
            self._held[event.app_id] = finding
            return True
        self._held.pop(event.app_id, None)
        self.detector.mark_contained(event.app_id, at=utc_now().timestamp())
        return True
