"""Containment: when a harvest rule fires, suspend the app at once (I4: its next request is
refused and its tokens are dead, since every call checks the app's status), open an
incident with the rule's evidence and the subjects disclosed in the rule's window, and tell
the operator through the log and a signed webhook. Only an operator reinstates.

``Monitor`` is what the read path holds: it feeds the detector and contains on a finding.
Containment fails closed: if the suspension or the incident cannot be written, the app is
still held as contained in this process and the triggering request is refused.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import structlog
from sqlalchemy import Engine, func, select

from consentgate.apps.registry import suspend_app
from consentgate.clock import to_micros, utc_now
from consentgate.detect.detector import Detector
from consentgate.detect.incidents import Incident, open_incident
from consentgate.detect.rules import Finding, Thresholds
from consentgate.detect.signals import ReadEvent
from consentgate.detect.webhook import WebhookNotifier
from consentgate.errors import InvalidTransition
from consentgate.ledger import LedgerStore
from consentgate.storage.tables import consents

__all__ = ["Monitor", "consenting_subjects"]

log = structlog.get_logger("consentgate.detect")


def consenting_subjects(engine: Engine, app_id: str) -> int:
    """How many subjects hold a live consent to the app, now."""
    now_us = to_micros(utc_now())
    query = select(func.count(func.distinct(consents.c.subject_id))).where(
        consents.c.app_id == app_id,
        consents.c.withdrawn_us.is_(None),
        consents.c.granted_us <= now_us,
        consents.c.expires_us > now_us,
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


class Monitor:
    def __init__(
        self,
        engine: Engine,
        *,
        ledger: LedgerStore,
        thresholds: Thresholds | None = None,
        notifier: WebhookNotifier | None = None,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.detector = Detector(thresholds, consenting=lambda a: consenting_subjects(engine, a))
        self.notifier = notifier
        self._held: dict[str, Finding] = {}  # contained here, not yet in storage

    def observe(self, event: ReadEvent) -> bool:
        """Account for one read; True if the app was contained because of it (the caller
        then releases nothing)."""
        held = self._held.get(event.app_id)
        finding = held or self.detector.observe(event)
        if finding is None:
            return False
        try:
            self.contain(finding)
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

    def contain(self, finding: Finding) -> Incident | None:
        opened_at = utc_now()
        reason = f"harvest detection: {finding.rule}: {finding.explanation}"
        # suspended (or never approved) meanwhile: the incident is still opened
        with contextlib.suppress(InvalidTransition):
            suspend_app(self.engine, finding.app_id, reason=reason[:2000], now=opened_at)
        window_start = opened_at - timedelta(seconds=finding.window_seconds)
        evidence = finding.evidence | {"consenting_subjects": self._consenting(finding)}
        scope = self.ledger.scope(finding.app_id, to_micros(window_start), to_micros(opened_at) + 1)
        with self.engine.begin() as connection:
            incident = open_incident(
                connection,
                app_id=finding.app_id,
                rule=finding.rule,
                evidence=evidence,
                opened_at=opened_at,
                window_start=window_start,
                scope=scope,
            )
        log.warning(
            "app_contained",
            app_id=finding.app_id,
            rule=finding.rule,
            incident_id=incident.id,
            subjects_disclosed=incident.subjects_disclosed,
            explanation=finding.explanation,
        )
        if self.notifier is not None:
            self.notifier.notify("consentgate.incident.opened", incident.as_dict())
        return incident

    def _consenting(self, finding: Finding) -> int:
        known = finding.evidence.get("consenting_subjects")
        return int(known) if known is not None else consenting_subjects(self.engine, finding.app_id)

    def close(self) -> None:
        if self.notifier is not None:
            self.notifier.close()
