"""What the API's handlers share, built once per process from a ``Runtime``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from consentgate.api.tokens import AppTokens, SubjectTokens
from consentgate.detect.containment import Monitor
from consentgate.detect.webhook import WebhookNotifier
from consentgate.gateway.read import ReadPath
from consentgate.gateway.recorder import DisclosureRecorder
from consentgate.gateway.scoped_ids import IdSealer
from consentgate.ledger.integrator import Integrator
from consentgate.ledger.protocol import LedgerStore
from consentgate.ledger.store import open_ledger
from consentgate.runtime import Runtime
from consentgate.storage.secrets import server_secret

__all__ = ["Services", "services_of"]


@dataclass
class Services:
    runtime: Runtime
    tokens: AppTokens
    sealer: IdSealer
    subject_tokens: SubjectTokens
    recorder: DisclosureRecorder
    reads: ReadPath
    ledger: LedgerStore
    integrator: Integrator
    monitor: Monitor | None

    @classmethod
    def build(cls, runtime: Runtime, *, subject_secret: bytes | None) -> Services:
        engine = runtime.engine
        settings = runtime.settings
        sealer = IdSealer(server_secret(runtime.db, "scoped-ids", size=64))
        ledger = open_ledger(runtime.db, origin=settings.ledger_origin)
        recorder = DisclosureRecorder(
            ledger=ledger,
            max_batch=settings.group_commit_max,
            wait_ms=settings.group_commit_wait_ms,
        )
        monitor = _monitor(runtime, ledger)
        return cls(
            runtime=runtime,
            tokens=AppTokens(
                server_secret(runtime.db, "app-tokens"), ttl_seconds=settings.app_token_ttl_seconds
            ),
            sealer=sealer,
            subject_tokens=SubjectTokens(secret=subject_secret, jwks_url=settings.subject_jwks_url),
            recorder=recorder,
            reads=ReadPath(
                engine=engine,
                catalog=runtime.catalog,
                source=runtime.source,
                sealer=sealer,
                monitor=monitor,
            ),
            ledger=ledger,
            integrator=Integrator(
                ledger, recorder.appended, period_ms=settings.ledger_integrate_ms
            ),
            monitor=monitor,
        )

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
        self.recorder.close()
        self.integrator.close()
        self.runtime.close()


def _monitor(runtime: Runtime, ledger: LedgerStore) -> Monitor | None:
    """Harvest detection, when ``CONSENTGATE_DETECT`` is on; it notifies by webhook when
    ``CONSENTGATE_WEBHOOK_URL`` (and its secret) are set."""
    settings = runtime.settings
    if not settings.detect:
        return None
    notifier = None
    if settings.webhook_url and settings.webhook_secret is not None:  # both, or neither
        notifier = WebhookNotifier(settings.webhook_url, settings.webhook_secret.get_secret_value())
    return Monitor(
        runtime.engine, ledger=ledger, thresholds=settings.thresholds(), notifier=notifier
    )


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
