"""Everything a command or request needs, opened once from settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from consentgate.catalog import Catalog, default_catalog, load_catalog
from consentgate.consent.receipts import ReceiptSigner
from consentgate.settings import ConsentPolicy, Settings, load_settings
from consentgate.sources.synthetic import PlatformSource
from consentgate.storage.database import Database
from consentgate.stores import Stores, open_stores

__all__ = ["Runtime", "open_runtime"]


@dataclass
class Runtime:
    settings: Settings
    db: Database
    catalog: Catalog
    source: PlatformSource
    signer: ReceiptSigner
    consent_policy: ConsentPolicy
    stores: Stores

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def close(self) -> None:
        self.db.dispose()


def open_runtime(settings: Settings | None = None) -> Runtime:
    """Open the database (migrating it to the current schema), the catalog, the demo
    platform source and the receipt key."""
    if settings is None:
        settings = load_settings()
    catalog = load_catalog(settings.catalog) if settings.catalog else default_catalog()
    db = Database.open(settings.database_url)
    return Runtime(
        settings=settings,
        db=db,
        catalog=catalog,
        source=PlatformSource(db.engine, catalog=catalog),
        signer=ReceiptSigner.load_or_create(db),
        consent_policy=settings.consent_policy(),
        stores=open_stores(db, ledger_origin=settings.ledger_origin),
    )
