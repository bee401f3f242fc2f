"""Benchmark: the harvest detector's own cost, per read and per app.

* ``observe`` cost: microseconds per read event through ``Detector.observe`` (signals of
  both windows, the rules), for an app re-reading 3,000 users and for one reading a new
  user each time (the distinct-count sketches at their busiest); the thresholds are raised
  so nothing fires and every event does the full work;
* memory per app: bytes held by an app's sketches once both windows are full of distinct
  subjects (the bound that does not grow with traffic).

The end-to-end figure — reads per second with the detector on and off, same run — is
``benchmarks/gateway_http.py --repeat 3``.

    python benchmarks/detector.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any

from consentgate.detect.detector import Detector
from consentgate.detect.rules import Thresholds
from consentgate.detect.signals import ReadEvent

T0 = 1_800_000_000.0
QUIET = Thresholds(
    enumeration_ids=10**9,
    out_of_scope_asks=10**9,
    purpose_refusals=10**9,
    probe_requests=10**9,
    reach_margin=10**9,
    reread_min_reads=10**9,
    sources=10**9,
    burst_min_requests=10**9,
)


def events(count: int, *, users: int | None, per_second: float) -> list[ReadEvent]:
    return [
        ReadEvent(
            app_id="app_bench",
            at=T0 + i / per_second,
            source="10.0.0.1",
            purpose="service_provision",
            target=str(i % users if users else i),
            withheld={"religion": "FIELD_NOT_CONSENTED"} if i % 10 == 0 else {},
            disclosed=(str(i % users if users else i),),
        )
        for i in range(count)
    ]


def observe_cost(stream: list[ReadEvent]) -> float:
    detector = Detector(QUIET, consenting=lambda _app: 1)
    started = time.perf_counter()
    for event in stream:
        if detector.observe(event) is not None:
            raise RuntimeError("a rule fired: the benchmark must not trip the detector")
    return (time.perf_counter() - started) / len(stream) * 1e6


def memory_per_app() -> dict[str, Any]:
    detector = Detector(QUIET, consenting=lambda _app: 1)
    # two days at 20 reads a second, every read a new subject: both windows full
    for event in events(2 * 86_400 * 20 // 10, users=None, per_second=2):
        detector.observe(event)
    sketches = detector._apps["app_bench"].sketches()
    return {
        "sketches": len(sketches),
        "sketch_bytes": sum(s.get_updatable_serialization_bytes() for s in sketches),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    report = {
        "benchmark": "detector",
        "events": args.events,
        "observe_us_rereading_3000_users": round(
            observe_cost(events(args.events, users=3000, per_second=300)), 2
        ),
        "observe_us_new_subject_each_read": round(
            observe_cost(events(args.events, users=None, per_second=300)), 2
        ),
        "memory_per_app": memory_per_app(),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count()},
    }  # fmt: skip
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
