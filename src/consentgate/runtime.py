"""The composition root: everything a command or a server needs, built once from settings —
the only place that knows how the rooms and services fit together.

``open_runtime(settings)`` opens the database (migrated), the catalog, the source
(``CONSENTGATE_SOURCE``: the demo platform, or a SQL mapping file for ``SqlSource``), the
stores, the receipt key, the token verifiers, and the read path: the recorder, the
integrator, harvest detection with containment bound to the stores and the webhook, the
``Gateway``, the political transparency register, and the rights service with its notice
dispatcher. In demo mode ``CONSENTGATE_DEMO_CLOCK`` starts the clock elsewhere (``close``
puts it back). Building starts no thread: ``Runtime.start()`` resumes interrupted erasures
and starts the recorder, the integrator, the webhook sender and the notice dispatcher,
``stop()`` stops them (FastAPI's lifespan calls both); ``close()`` also releases the
database. ``start()`` also logs what the source can write.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy import Engine

from consentgate.analytics import duck_scope
from consentgate.breach import BreachContext, LedgerScope, ScopeEngine, WebhookNotifier, contain
from consentgate.catalog import Catalog, default_catalog, load_catalog
from consentgate.clock import clock_offset, reset_clock, start_clock_at, to_micros, utc_now
from consentgate.consent import ConsentStore, ReceiptSigner
from consentgate.detect import Detector, connect_redis, memory_windows, redis_windows
from consentgate.errors import InvalidInput
from consentgate.gateway import DecisionCache, DisclosureRecorder, Gateway, IdSealer, Watch
from consentgate.ledger.integrator import Integrator
from consentgate.notices import NoticeDispatcher
from consentgate.rights import Rights, open_request_store
from consentgate.settings import DEMO_SOURCE, ConsentPolicy, Settings, load_settings
from consentgate.sources import Source, SqlSource, load_mapping, writes_of
from consentgate.sources.synthetic import PlatformSource
from consentgate.storage.at_rest import seal_at_rest
from consentgate.storage.database import Database
from consentgate.storage.master import load_master_key
from consentgate.storage.secrets import server_secret
from consentgate.storage.version import VersionReader
from consentgate.stores import Stores, open_stores
from consentgate.tokens import DEMO_SUBJECT_KEY_NAME, AppTokens, SubjectTokens
from consentgate.transparency import PoliticalRegister

__all__ = ["Runtime", "open_runtime"]

log = structlog.get_logger("consentgate.runtime")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    catalog: Catalog
    source: Source
    stores: Stores
    signer: ReceiptSigner
    consent_policy: ConsentPolicy
    sealer: IdSealer
    app_tokens: AppTokens
    # None when neither a subject-token secret nor a JWKS is configured (outside demo mode)
    subject_tokens: SubjectTokens | None
    subject_secret: bytes | None  # the HS256 secret of subject tokens, when there is one
    recorder: DisclosureRecorder
    integrator: Integrator
    notifier: WebhookNotifier | None
    watch: Watch | None  # harvest detection, when CONSENTGATE_DETECT is on
    gateway: Gateway
    breach_context: BreachContext
    rights: Rights
    dispatcher: NoticeDispatcher
    register: PoliticalRegister  # the political transparency register
    source_db: Database | None = None  # the platform's own database, when not ours
    _running: bool = field(default=False, repr=False)
    _clock_before: timedelta | None = field(default=None, repr=False)  # a demo clock's undo

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def start(self) -> None:
        """Start the background threads: the disclosure writer, the integrator, the webhook
        sender (once; what the app's lifespan does at startup)."""
        if self._running:
            return
        self._running = True
        _log_writes(self.source)
        self.recorder.start()
        self.integrator.start()
        if self.notifier is not None:
            self.notifier.start()
        self.rights.resume()  # erasures a crash interrupted are finished first
        self.dispatcher.start()

    def stop(self) -> None:
        """Stop them: queued disclosures are committed or refused, the last leaves signed,
        queued webhooks sent (what the lifespan does at shutdown)."""
        if not self._running:
            return
        self._running = False
        self.dispatcher.close()
        if self.notifier is not None:
            self.notifier.close()
        self.recorder.close()
        self.integrator.close()

    def close(self) -> None:
        self.stop()
        self.dispatcher.dispose()
        if self._clock_before is not None:
            reset_clock(self._clock_before)
            self._clock_before = None
        self.db.dispose()
        if self.source_db is not None:
            self.source_db.dispose()


def open_runtime(settings: Settings | None = None, *, create: bool = True) -> Runtime:
    """Everything, from ``settings`` (the environment when None; a bad variable is one
    ``InvalidInput`` naming it). ``create=False`` refuses a database that does not exist
    yet (``DatabaseMissing``) instead of creating it."""
    if settings is None:
        settings = load_settings()
    catalog = load_catalog(settings.catalog) if settings.catalog else default_catalog()
    db = Database.open(settings.database_url, create=create)
    master = settings.master_key
    try:
        db.use_master(
            load_master_key(
                database_url=settings.database_url,
                secret=None if master is None else master.get_secret_value(),
                key_file=settings.master_key_file,
            )
        )
        seal_at_rest(db)
    except Exception:
        db.dispose()
        raise
    source, source_db = _source(settings, db, catalog)
    stores = open_stores(db, ledger_origin=settings.ledger_origin)
    version = VersionReader(db)  # the decision cache's check, one query a read
    sealer = IdSealer(server_secret(db, "scoped-ids", size=64))
    subject_secret = _subject_secret(settings, db)
    recorder = DisclosureRecorder(
        ledger=stores.ledger,
        max_batch=settings.group_commit_max,
        wait_ms=settings.group_commit_wait_ms,
    )
    breach_context = BreachContext(
        catalog=catalog,
        source=source,
        policy=settings.breach_policy(),
        engine=_scope_engine(settings),
    )
    notifier = None
    if settings.webhook_url and settings.webhook_secret is not None:  # Settings: both or none
        notifier = WebhookNotifier(settings.webhook_url, settings.webhook_secret.get_secret_value())
    watch = _watch(settings, stores, notifier, breach_context)
    rights = Rights(
        stores=stores,
        requests=open_request_store(stores),
        catalog=catalog,
        source=source,
        scoped_id=sealer.scoped_id,
        ack_days=settings.notice_ack_days,
    )
    dispatcher = NoticeDispatcher(
        stores.notices,
        stores.apps,
        enforce=rights.enforce if settings.notice_enforce else None,
        sweep=functools.partial(_sweep, rights),
        retry_base_s=settings.notice_retry_base_seconds,
        poll_s=settings.notice_poll_ms / 1000,
    )
    rights.wake = dispatcher.wake
    clock_before = _demo_clock(settings)  # last: nothing can fail after it
    return Runtime(
        settings=settings,
        db=db,
        catalog=catalog,
        source=source,
        stores=stores,
        signer=ReceiptSigner.load_or_create(db),
        consent_policy=settings.consent_policy(),
        sealer=sealer,
        app_tokens=AppTokens(
            server_secret(db, "app-tokens"), ttl_seconds=settings.app_token_ttl_seconds
        ),
        subject_tokens=(
            SubjectTokens(secret=subject_secret, jwks_url=settings.subject_jwks_url)
            if subject_secret is not None or settings.subject_jwks_url
            else None
        ),
        subject_secret=subject_secret,
        recorder=recorder,
        integrator=Integrator(
            stores.ledger, recorder.appended, period_ms=settings.ledger_integrate_ms
        ),
        notifier=notifier,
        watch=watch,
        gateway=Gateway(
            stores=stores,
            catalog=catalog,
            source=source,
            sealer=sealer,
            recorder=recorder,
            watch=watch,
            reads_on_loop=db.is_sqlite,
            cache=DecisionCache(stores, catalog, version),
        ),
        breach_context=breach_context,
        rights=rights,
        dispatcher=dispatcher,
        register=PoliticalRegister(stores, period_seconds=settings.transparency_period_seconds),
        source_db=source_db,
        _clock_before=clock_before,
    )


def _demo_clock(settings: Settings) -> timedelta | None:
    """Start the clock at ``CONSENTGATE_DEMO_CLOCK`` (``Settings`` allows it in demo mode
    only); the offset it replaced, for ``close`` to put back (None: no demo clock)."""
    if settings.demo_clock is None:
        return None
    if not settings.demo:  # Settings refuses this already; never trust one check alone
        raise InvalidInput("CONSENTGATE_DEMO_CLOCK is honoured only in demo mode")
    previous = clock_offset()
    start_clock_at(settings.demo_clock)
    return previous


def _source(settings: Settings, db: Database, catalog: Catalog) -> tuple[Source, Database | None]:
    """The demo platform, or the SQL table the mapping file names (on the platform's own
    database when the file gives one), checked against the catalog and the live schema."""
    if settings.source == DEMO_SOURCE:
        return PlatformSource(db.engine, catalog=catalog), None
    config = load_mapping(settings.source)
    source_db = None if config.database_url is None else Database.open_existing(config.database_url)
    try:
        engine = (source_db or db).engine
        source = SqlSource(engine, config.mapping, catalog=catalog, statements=config.statements)
        return source, source_db
    except Exception:
        if source_db is not None:
            source_db.dispose()
        raise


def _subject_secret(settings: Settings, db: Database) -> bytes | None:
    """``CONSENTGATE_SUBJECT_TOKEN_SECRET``, or in demo mode a generated one (kept in the
    database, so ``consentgate subjects token`` mints what the server accepts)."""
    if settings.subject_token_secret is not None:
        return settings.subject_token_secret.get_secret_value().encode()
    if settings.demo:
        return server_secret(db, DEMO_SUBJECT_KEY_NAME)
    return None


def _scope_engine(settings: Settings) -> ScopeEngine:
    """DuckDB over the Parquet export (``CONSENTGATE_LEDGER_EXPORT_DIR``) when the analytics
    extra is installed, else SQL on the ledger."""
    if settings.ledger_export_dir is None:
        return LedgerScope()
    return duck_scope(settings.ledger_export_dir) or LedgerScope()


def _watch(
    settings: Settings,
    stores: Stores,
    notifier: WebhookNotifier | None,
    context: BreachContext,
) -> Watch | None:
    """Harvest detection: the detector, and containment through the stores — opening the
    incident's breach — (notifying by webhook when one is configured); None when
    ``CONSENTGATE_DETECT`` is off."""
    if not settings.detect:
        return None
    windows = (
        memory_windows
        if settings.redis_url is None
        else redis_windows(connect_redis(settings.redis_url))
    )
    detector = Detector(
        settings.thresholds(),
        consenting=functools.partial(_consenting, stores.consents),
        windows=windows,
    )
    return Watch(
        detector, contain=functools.partial(contain, stores, context=context, notifier=notifier)
    )


def _consenting(consents: ConsentStore, app_id: str) -> int:
    return consents.count_live_subjects(app_id, now_us=to_micros(utc_now()))


def _log_writes(source: Source) -> None:
    """Say at start-up what the source can write (a request it cannot serve is refused)."""
    writes = writes_of(source)
    log.info("source_writes", rectify=writes.rectify, erase=writes.erase)
    if not (writes.rectify and writes.erase):
        log.warning(
            "source_cannot_write",
            rectify=writes.rectify,
            erase=writes.erase,
            effect="rectification / erasure requests are refused with SOURCE_READ_ONLY",
        )


def _sweep(rights: Rights) -> None:
    rights.resume(min_age_s=60.0)  # an erasure left for a minute by its request: resumed
