"""What the API's handlers share, built once per process from a ``Runtime``."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from fastapi import Request

from consentgate.api.tokens import AppTokens, SubjectTokens
from consentgate.breach import WebhookNotifier, contain
from consentgate.clock import to_micros, utc_now
from consentgate.detect import Detector
from consentgate.gateway.read import Gateway
from consentgate.gateway.recorder import DisclosureRecorder
from consentgate.gateway.scoped_ids import IdSealer
from consentgate.gateway.watch import Watch
from consentgate.ledger import LedgerStore
from consentgate.ledger.integrator import Integrator
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
    gateway: Gateway
    ledger: LedgerStore
    integrator: Integrator
    watch: Watch | None
    notifier: WebhookNotifier | None

    @classmethod
    def build(cls, runtime: Runtime, *, subject_secret: bytes | None) -> Services:
        settings = runtime.settings
        sealer = IdSealer(server_secret(runtime.db, "scoped-ids", size=64))
        ledger = runtime.stores.ledger
        recorder = DisclosureRecorder(
            ledger=ledger,
            max_batch=settings.group_commit_max,
            wait_ms=settings.group_commit_wait_ms,
        )
        notifier = None
        if settings.webhook_url and settings.webhook_secret is not None:  # both, or neither
            notifier = WebhookNotifier(
                settings.webhook_url, settings.webhook_secret.get_secret_value()
            )
        watch = _watch(runtime, notifier)
        return cls(
            runtime=runtime,
            tokens=AppTokens(
                server_secret(runtime.db, "app-tokens"), ttl_seconds=settings.app_token_ttl_seconds
            ),
            sealer=sealer,
            subject_tokens=SubjectTokens(secret=subject_secret, jwks_url=settings.subject_jwks_url),
            recorder=recorder,
            gateway=Gateway(
                stores=runtime.stores,
                catalog=runtime.catalog,
                source=runtime.source,
                sealer=sealer,
                recorder=recorder,
                watch=watch,
                reads_on_loop=runtime.db.is_sqlite,
            ),
            ledger=ledger,
            integrator=Integrator(
                ledger, recorder.appended, period_ms=settings.ledger_integrate_ms
            ),
            watch=watch,
            notifier=notifier,
        )

    def close(self) -> None:
        if self.notifier is not None:
            self.notifier.close()
        self.recorder.close()
        self.integrator.close()
        self.runtime.close()


def _watch(runtime: Runtime, notifier: WebhookNotifier | None) -> Watch | None:
    """Harvest detection, when ``CONSENTGATE_DETECT`` is on: the detector, and containment
    through the stores (notifying by webhook when ``CONSENTGATE_WEBHOOK_URL`` is set)."""
    settings = runtime.settings
    if not settings.detect:
        return None
    consents = runtime.stores.consents
    detector = Detector(
        settings.thresholds(),
        consenting=lambda app_id: consents.count_live_subjects(app_id, now_us=to_micros(utc_now())),
    )
    return Watch(detector, contain=functools.partial(contain, runtime.stores, notifier=notifier))


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
