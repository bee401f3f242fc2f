"""The protected read, owned by the gateway: one async call per read that does every step
and returns a result only once the disclosures it makes are durably committed (I2).

``Gateway.read_subject`` / ``Gateway.read_friends``:

1. check the field and purpose names against the catalog (unknown names are refused with
   ``UNKNOWN_FIELD`` / ``UNKNOWN_PURPOSE`` — and told to the detector: asking for names
   outside the catalog is probing too);
2. resolve the app-scoped id, decide, tell the detector (which may contain the app: then
   this read is refused as well), fetch only the allowed fields (``planner``);
3. hand the disclosure rows to the group-commit recorder and wait for the commit;
4. only then return ``SubjectRead`` / ``FriendsRead`` — the only public results, both
   committed. A failed commit raises ``LedgerUnavailable`` and nothing is returned.

A single-subject read on SQLite runs on the event loop: its four point queries are a few
hundred microseconds of in-process work (WAL readers never wait for the writer), and handing
them to a worker thread cost more than the work — every SQLite call gives up the interpreter
lock and then waits to get it back among forty threads (figures in docs/benchmarks.md). The
one write that can happen there is a containment (the detector suspending the app): it
waits for whatever write holds the database at that moment, usually a group commit or an
integration of a few milliseconds. On PostgreSQL each query is a network round trip, so it
goes to a worker thread, as the friends read does everywhere (one read there can run many
queries).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

import anyio.to_thread

from consentgate.catalog import Catalog
from consentgate.clock import to_micros, utc_now
from consentgate.detect import ReadEvent
from consentgate.errors import InvalidInput, UnknownField, UnknownPurpose
from consentgate.gateway.hot import DecisionCache
from consentgate.gateway.planner import _Planner
from consentgate.gateway.recorder import DisclosureRow, Recorder
from consentgate.gateway.results import FriendsRead, SubjectRead
from consentgate.gateway.scoped_ids import IdSealer
from consentgate.gateway.watch import Watch
from consentgate.ledger import PLATFORM_APP
from consentgate.sources import Source
from consentgate.stores import Stores

__all__ = ["MAX_FIELDS", "Gateway"]

MAX_FIELDS = 64


class Gateway:
    """The read path over the stores, the source and the recorder; ``watch`` (harvest
    detection) when detection is on. ``reads_on_loop``: run single-subject reads on the
    event loop (SQLite) rather than in a worker thread (PostgreSQL). ``cache``: the
    decision state in memory, checked per read (``gateway/hot.py``)."""

    def __init__(
        self,
        *,
        stores: Stores,
        catalog: Catalog,
        source: Source,
        sealer: IdSealer,
        recorder: Recorder,
        watch: Watch | None = None,
        reads_on_loop: bool = False,
        cache: DecisionCache | None = None,
    ) -> None:
        self.catalog = catalog
        self.sealer = sealer
        self._recorder = recorder
        self._watch = watch
        self._reads_on_loop = reads_on_loop
        self._planner = _Planner(
            stores=stores, catalog=catalog, source=source, sealer=sealer, watch=watch, cache=cache
        )

    async def read_subject(
        self,
        *,
        app_id: str,
        scoped_id: str,
        purpose: str,
        fields: Sequence[str],
        request_id: str,
        client: str = "",
        now: datetime | None = None,
    ) -> SubjectRead:
        """``GET /v1/subjects/{id}``: the subject's record filtered by their own consent,
        returned once its disclosure is committed."""
        moment = now or utc_now()
        names = await self._names(app_id, purpose, fields, client, moment)
        plan = functools.partial(
            self._planner.subject,
            app_id=app_id,
            scoped_id=scoped_id,
            purpose=purpose,
            fields=names,
            request_id=request_id,
            now=moment,
            client=client,
        )
        body = plan() if self._reads_on_loop else await anyio.to_thread.run_sync(plan)
        await self._recorder.record(body.disclosures)  # I2: committed before it leaves
        return SubjectRead(id=body.id, data=body.data, withheld=body.withheld)

    async def read_friends(
        self,
        *,
        app_id: str,
        scoped_id: str,
        purpose: str,
        fields: Sequence[str],
        cursor: str | None,
        limit: int,
        request_id: str,
        client: str = "",
        now: datetime | None = None,
    ) -> FriendsRead:
        """``GET /v1/subjects/{id}/friends``: the friends who consented themselves, each
        filtered by their own consent, returned once every disclosure is committed."""
        moment = now or utc_now()
        names = await self._names(app_id, purpose, fields, client, moment)
        body = await anyio.to_thread.run_sync(
            functools.partial(
                self._planner.friends,
                app_id=app_id,
                scoped_id=scoped_id,
                purpose=purpose,
                fields=names,
                cursor=cursor,
                limit=limit,
                request_id=request_id,
                now=moment,
                client=client,
            )
        )
        await self._recorder.record(body.disclosures)  # I2: committed before it leaves
        return FriendsRead(id=body.id, friends=tuple(body.friends), next_cursor=body.next_cursor)

    async def record_export(
        self,
        *,
        subject_id: str,
        fields: Sequence[str],
        purpose: str,
        request_id: str,
        now: datetime | None = None,
    ) -> None:
        """Record a person's own copy of their data (``GET /v1/me/export``) before it leaves
        (I2): an ``access`` leaf to the platform itself (``PLATFORM_APP``), through the same
        group commit as every disclosure. Never a recipient: ``recipients_of`` counts
        disclosures only."""
        moment = now or utc_now()
        row = DisclosureRow(
            at_us=to_micros(moment),
            app_id=PLATFORM_APP,
            subject_id=subject_id,
            fields=tuple(fields),
            purpose=purpose,
            consent_ids=(),
            request_id=request_id,
            basis="gdpr-art20" if purpose == "portability" else "gdpr-art15",
            kind="access",
        )
        await self._recorder.record([row])

    async def _names(
        self, app_id: str, purpose: str, fields: Sequence[str], client: str, now: datetime
    ) -> list[str]:
        """The requested field names, checked; unknown field or purpose names are refused,
        and the detector is told (asking for names outside the catalog is probing too)."""
        try:
            self.catalog.require_purpose(purpose)
            if len(fields) > MAX_FIELDS:
                raise InvalidInput(f"at most {MAX_FIELDS} fields per read")
            return self.catalog.require_fields(fields)
        except (UnknownField, UnknownPurpose):
            if self._watch is not None:
                event = ReadEvent(
                    app_id=app_id,
                    at=now.timestamp(),
                    source=client,
                    purpose=purpose[:64],
                    unknown_fields=tuple(
                        f for f in fields[:MAX_FIELDS] if f not in self.catalog.fields
                    ),
                    unknown_purpose=purpose not in self.catalog.purposes,
                )
                await anyio.to_thread.run_sync(self._watch.observe, event)
            raise
