"""Benchmark: protected single-subject reads over real HTTP vs a bare endpoint, same run.

Both servers are FastAPI under uvicorn (one worker each, run one after the other on this
machine), over the same SQLite database of the demo platform:

* gateway — ``consentgate serve``: app token check, app-scoped id, decision, fetch of the
  allowed fields only, write-ahead disclosure record (group commit), response;
* gateway with detection — the same, with the harvest detector on (its firing thresholds
  raised so the benchmark's own re-reading does not suspend the app: every signal is still
  kept and every rule still evaluated);
* bare — a FastAPI endpoint returning the same fields of the same record with no checks and
  no recording.

Load comes from ``wrk`` (Debian package) at 1, 16 and 64 connections, cycling through the
app-scoped ids of subjects who consented. Afterwards the disclosure table is counted: every
successful gateway response must be there. Prints one JSON object with ``--json``.

    python benchmarks/gateway_http.py --json [--duration 10] [--subjects 20000]
        [--database sqlite|postgresql]

``--database postgresql`` puts both servers on the local PostgreSQL (a schema of its own,
dropped afterwards; ``CONSENTGATE_TEST_POSTGRES_URL`` names the server) instead of a
SQLite file.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

FIELDS = "name,birthday,current_city"
PURPOSE = "academic_research"
ADMIN_KEY = "cgop_benchmark-admin-key-0123456789abcdef"
SUBJECT_SECRET = "benchmark-subject-secret-0123456789abcdef"  # noqa: S105 — a throwaway benchmark secret

WRK_SCRIPT = """
local ids = {%(ids)s}
local counter = 0
wrk.headers["Authorization"] = "%(auth)s"
request = function()
  counter = counter + 1
  local id = ids[(counter %% #ids) + 1]
  return wrk.format("GET", "%(prefix)s" .. id .. "%(suffix)s")
end
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"non_2xx\\": %%d, " ..
    "\\"socket_errors\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d}\\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""

BARE_APP = """
import os
from fastapi import FastAPI
from consentgate.catalog import default_catalog
from consentgate.sources.synthetic import PlatformSource
from consentgate.storage import make_engine

engine = make_engine(os.environ["CONSENTGATE_DATABASE_URL"])
source = PlatformSource(engine, catalog=default_catalog())
app = FastAPI()

@app.get("/bare/subjects/{subject_id}")
def bare(subject_id: str, fields: str, purpose: str):
    names = fields.split(",")
    return {"id": subject_id, "data": source.fetch([subject_id], names).get(subject_id, {}),
            "withheld": {}}
"""


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def run_wrk(script: Path, base: str, connections: int, duration: int) -> dict[str, Any]:
    threads = max(1, min(2, connections))
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "-s",
         str(script), base],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(row for row in out.stdout.splitlines() if row.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    seconds = raw["duration_us"] / 1e6
    return {
        "connections": connections,
        "requests": raw["requests"],
        "per_s": round(raw["requests"] / seconds),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
    }


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def prepare(database_url: str, subjects: int, consenting: int) -> tuple[str, str, list[str]]:
    """Platform, one approved app, ``consenting`` subjects who consented; returns the app id,
    an access token's client credentials and the app-scoped ids."""
    from consentgate.apps import approve_app, register_app
    from consentgate.authz import Actor
    from consentgate.consent import grant_consent
    from consentgate.errors import GrantRefused
    from consentgate.gateway.scoped_ids import IdSealer
    from consentgate.runtime import open_runtime
    from consentgate.settings import Settings
    from consentgate.sources.synthetic import generate_platform
    from consentgate.storage.secrets import server_secret

    runtime = open_runtime(Settings(database_url=database_url))
    generate_platform(runtime.engine, subjects=subjects, seed=7, catalog=runtime.catalog)
    bench = Actor.system("benchmark")
    registered = register_app(
        runtime.stores.apps,
        runtime.catalog,
        {
            "name": "benchmark app",
            "developer": {"name": "bench", "email": "bench@example.org", "country": "DE"},
            "purposes": [PURPOSE],
            "fields": dict.fromkeys(FIELDS.split(","), "benchmark"),
            "retention_days": 30,
            "privacy_policy_url": "https://bench.example/privacy",
        },
        actor=bench,
    )
    app_id = registered.app.id
    approve_app(runtime.stores.apps, runtime.catalog, app_id, actor=bench)
    sealer = IdSealer(server_secret(runtime.db, "scoped-ids", size=64))
    ids: list[str] = []
    platform_ids: list[str] = []
    for subject in range(1, subjects + 1):
        if len(ids) >= consenting:
            break
        try:
            grant_consent(
                runtime.stores.consents,
                apps=runtime.stores.apps,
                catalog=runtime.catalog,
                source=runtime.source,
                signer=runtime.signer,
                subject_id=str(subject),
                request={"app_id": app_id, "purpose": PURPOSE, "fields": FIELDS.split(",")},
            )
        except GrantRefused:
            continue  # a minor without parental consent: not a consenting subject
        ids.append(sealer.scoped_id(app_id, str(subject)))
        platform_ids.append(str(subject))
    runtime.close()
    credentials = f"{registered.app.client_id}:{registered.client_secret}"
    return credentials, json.dumps([ids, platform_ids]), ids


def median_runs(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per connection count, the run with the median throughput (all its figures), plus
    every run's throughput."""
    chosen = []
    for by_connections in zip(*runs, strict=True):
        ordered = sorted(by_connections, key=lambda r: r["per_s"])
        chosen.append(
            ordered[len(ordered) // 2] | {"all_per_s": [r["per_s"] for r in by_connections]}
        )
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--consenting", type=int, default=2_000)
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="gateway runs with the detector off and on (off-on, on-off, ...); medians reported",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    from consentgate.storage import make_engine
    from consentgate.storage.tables import ledger_leaves

    folder = Path(tempfile.mkdtemp(prefix="consentgate-bench-"))
    database_url = f"sqlite:///{folder / 'bench.db'}"
    if args.database == "postgresql":
        from ledger import drop_schemas, make_schemas, postgres_url  # benchmarks/ledger.py

        template = postgres_url()
        if template is None:
            sys.exit("no PostgreSQL server answers (CONSENTGATE_TEST_POSTGRES_URL)")
        make_schemas(["http"])
        atexit.register(drop_schemas, ["http"])
        database_url = template.format(n="http")
    started = time.perf_counter()
    credentials, id_lists, scoped = prepare(database_url, args.subjects, args.consenting)
    platform_ids = json.loads(id_lists)[1]
    setup_s = time.perf_counter() - started
    env = os.environ | {
        "CONSENTGATE_DATABASE_URL": database_url,
        "CONSENTGATE_ADMIN_KEY": ADMIN_KEY,
        "CONSENTGATE_SUBJECT_TOKEN_SECRET": SUBJECT_SECRET,
        "CONSENTGATE_SUBJECT_TOKEN_ISSUER": "demo-platform",
        "CONSENTGATE_SUBJECT_TOKEN_AUDIENCE": "consentgate",
        "CONSENTGATE_RATE_LIMIT_APP": "0",  # one app reads as fast as it can: no per-app limit
    }
    connections = [int(c) for c in args.connections.split(",")]
    python = sys.executable
    results: dict[str, Any] = {}

    gateway_port, bare_port = 18401, 18402

    def run_gateway(detect: str) -> list[dict[str, Any]]:
        """The gateway under wrk with the detector ``on`` or ``off``."""
        overrides = {"CONSENTGATE_DETECT": detect}
        if detect == "on":  # the detector does all its work; the load must not trip it
            overrides["CONSENTGATE_DETECT_REREAD_PER_SUBJECT"] = "1000000"
        server = start(
            [python, "-m", "consentgate", "serve", "--port", str(gateway_port)],
            env | overrides,
            folder / f"gateway-detect-{detect}.log",
        )
        try:
            base = f"http://127.0.0.1:{gateway_port}"
            wait_for(f"{base}/healthz")
            client_id, client_secret = credentials.split(":", 1)
            token = httpx.post(
                f"{base}/oauth/token",
                data={"grant_type": "client_credentials", "client_id": client_id,
                      "client_secret": client_secret},
            ).json()["access_token"]  # fmt: skip
            script = folder / f"gateway-{detect}.lua"
            script.write_text(
                WRK_SCRIPT
                % {
                    "ids": ",".join(f'"{i}"' for i in scoped),
                    "auth": f"Bearer {token}",
                    "prefix": "/v1/subjects/",
                    "suffix": f"?fields={FIELDS}&purpose={PURPOSE}",
                }
            )
            probe = httpx.get(
                f"{base}/v1/subjects/{scoped[0]}",
                params={"fields": FIELDS, "purpose": PURPOSE},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert probe.status_code == 200, probe.text
            return [run_wrk(script, base, c, args.duration) for c in connections]
        finally:
            stop(server)

    runs: dict[str, list[list[dict[str, Any]]]] = {"off": [], "on": []}
    for i in range(args.repeat):  # off-on, on-off, ...: a machine drifting one way over the
        # sitting hits both alike (in plain alternation "on" always ran second)
        for detect in ("off", "on") if i % 2 == 0 else ("on", "off"):
            runs[detect].append(run_gateway(detect))
    results["gateway"] = median_runs(runs["off"])
    results["gateway_detect_on"] = median_runs(runs["on"])
    engine = make_engine(database_url)
    with engine.connect() as connection:
        recorded = int(
            connection.execute(select(func.count()).select_from(ledger_leaves)).scalar_one()
        )
    engine.dispose()
    every_run = [r for rs in runs["off"] + runs["on"] for r in rs]
    served = sum(r["requests"] - r["non_2xx"] for r in every_run) + 2 * args.repeat  # + probes

    bare_app = folder / "bare_app.py"
    bare_app.write_text(BARE_APP)
    bare = start(
        [python, "-m", "uvicorn", "--app-dir", str(folder), "bare_app:app", "--port",
         str(bare_port), "--log-level", "warning", "--no-access-log"],
        env,
        folder / "bare.log",
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{bare_port}"
        wait_for(f"{base}/docs")
        script = folder / "bare.lua"
        script.write_text(
            WRK_SCRIPT
            % {
                "ids": ",".join(f'"{i}"' for i in platform_ids),
                "auth": "none",
                "prefix": "/bare/subjects/",
                "suffix": f"?fields={FIELDS}&purpose={PURPOSE}",
            }
        )
        results["bare"] = [run_wrk(script, base, c, args.duration) for c in connections]
    finally:
        stop(bare)

    by_c = {
        g["connections"]: round(g["per_s"] / b["per_s"], 2)
        for g, b in zip(results["gateway"], results["bare"], strict=True)
    }
    detector = {
        g["connections"]: round(on["per_s"] / g["per_s"], 3)
        for g, on in zip(results["gateway"], results["gateway_detect_on"], strict=True)
    }
    report = {
        "benchmark": "gateway_http",
        "database": args.database,
        "setup_s": round(setup_s, 1),
        "subjects": args.subjects,
        "consenting_subjects_read": len(scoped),
        "fields": FIELDS,
        "duration_s_per_run": args.duration,
        "repeat": args.repeat,
        "gateway": results["gateway"],
        "bare": results["bare"],
        "ratio_by_connections": by_c,
        "gateway_detect_on": results["gateway_detect_on"],
        "detect_on_over_off_by_connections": detector,
        "disclosures_recorded": recorded,
        "gateway_2xx_responses_received": served,
        "every_disclosure_recorded": recorded >= served,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count()},
    }  # fmt: skip
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
