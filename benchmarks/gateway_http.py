"""Benchmark: the protected single-subject read over real HTTP, against two references, in
one run of alternated rounds — every figure with the server's CPU per request.

Targets (each a server process tree on this machine, one after the other, never together):

* ``gateway`` — ``consentgate serve --workers W`` on SQLite or PostgreSQL: app token,
  app-scoped id, decision, harvest detection (on, its thresholds raised so the benchmark's
  own re-reading does not suspend the app: every signal is still kept and every rule still
  evaluated), the allowed fields only, the write-ahead disclosure (group commit), the log
  line. The per-app rate limit is lifted (``CONSENTGATE_RATE_LIMIT_APP=0``);
* ``raw_sqlite`` — a raw ASGI app under uvicorn reading the same record by primary key
  with ``sqlite3`` (the machine's ceiling for "one indexed read per request");
* ``fastapi_constant`` — FastAPI returning a constant (the framework's own floor).

Load is ``wrk`` with one thread (Debian package ``wrk``) at each connection count, cycling
through the app-scoped ids of consenting subjects. For each run: requests, req/s, p50/p99,
non-2xx, socket errors, and **server CPU µs per request** — utime+stime of the server's
whole process tree from /proc before and after the run, ÷ requests (far steadier than req/s
on a shared machine). For the gateway every run also counts the ledger's leaves before and
after: ``leaves_added - ok`` must be 0 up to the requests wrk cut off in flight (at most one
per connection), never negative. Rounds alternate the order of the targets (forward, then
backward, ...) so a machine drifting over the sitting hits all alike; the median round per
figure is reported with every round's CPU µs/req. Prints one JSON object.

    python benchmarks/gateway_http.py --json [--duration 10] [--rounds 3]
        [--connections 1,16,64] [--databases sqlite,postgresql] [--workers 1,2]
        [--subjects 20000] [--consenting 2000]

PostgreSQL: the local server (``CONSENTGATE_TEST_POSTGRES_URL``), a schema of its own,
dropped afterwards.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

FIELDS = "name,birthday,current_city"
PURPOSE = "academic_research"
ADMIN_KEY = "cgop_benchmark-admin-key-0123456789abcdef"
SUBJECT_SECRET = "benchmark-subject-secret-0123456789abcdef"  # noqa: S105 — a throwaway benchmark secret
PORT = 18401
TICK = os.sysconf("SC_CLK_TCK")

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

RAW_SQLITE_APP = """
import json, os, sqlite3
PATH = os.environ["BENCH_SQLITE_PATH"]
connection = sqlite3.connect(PATH, check_same_thread=False)
QUERY = "SELECT name, birthday, current_city FROM platform_subjects WHERE id = ?"

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    subject = scope["path"].rsplit("/", 1)[-1]
    row = connection.execute(QUERY, (subject,)).fetchone()
    body = json.dumps({"id": subject, "data": dict(zip(("name", "birthday", "current_city"),
                       row or ())), "withheld": {}}).encode()
    await send({"type": "http.response.start", "status": 200 if row else 404,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
"""

FASTAPI_CONSTANT_APP = """
from fastapi import FastAPI
app = FastAPI()
BODY = {"id": "x", "data": {"name": "A. Person", "birthday": "1990-01-01",
        "current_city": "Dublin"}, "withheld": {}}

@app.get("/v1/subjects/{subject_id}")
async def constant(subject_id: str):
    return BODY
"""


@dataclass
class Target:
    name: str  # gateway, raw_sqlite, fastapi_constant
    database: str  # sqlite, postgresql (the references: sqlite)
    workers: int

    @property
    def key(self) -> str:
        return f"{self.name}/{self.database}/{self.workers}w"


def tree_cpu_s(pid: int) -> float:
    """utime+stime, in seconds, of ``pid`` and every descendant alive now (the uvicorn
    supervisor and its workers) — the running totals, including reaped children."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(ticks.get(p, 0) for p in tree) / TICK


def wait_for(url: str, timeout: float = 90) -> None:
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
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "-s", str(script),
         base],
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
        command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def prepare(database_url: str, subjects: int, consenting: int) -> tuple[str, list[str], list[str]]:
    """Platform, one approved app, ``consenting`` subjects who consented; the app's client
    credentials, the app-scoped ids and the platform ids."""
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
    scoped: list[str] = []
    platform_ids: list[str] = []
    for subject in range(1, subjects + 1):
        if len(scoped) >= consenting:
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
        scoped.append(sealer.scoped_id(app_id, str(subject)))
        platform_ids.append(str(subject))
    runtime.close()
    return f"{registered.app.client_id}:{registered.client_secret}", scoped, platform_ids


def leaf_count(database_url: str) -> int:
    from consentgate.storage import make_engine
    from consentgate.storage.tables import ledger_leaves

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(ledger_leaves)).scalar_one()
            )
    finally:
        engine.dispose()


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.connections = [int(c) for c in args.connections.split(",")]
        self.urls: dict[str, str] = {}
        self.credentials: dict[str, str] = {}
        self.scoped: dict[str, list[str]] = {}
        self.platform_ids: list[str] = []
        self.sqlite_path = folder / "bench.db"

    def prepare(self, databases: list[str]) -> float:
        started = time.perf_counter()
        for database in databases:
            url = f"sqlite:///{self.sqlite_path}"
            if database == "postgresql":
                sys.path.insert(0, str(Path(__file__).parent))
                from ledger import drop_schemas, make_schemas, postgres_url

                template = postgres_url()
                if template is None:
                    sys.exit("no PostgreSQL server answers (CONSENTGATE_TEST_POSTGRES_URL)")
                make_schemas(["http"])
                atexit.register(drop_schemas, ["http"])
                url = template.format(n="http")
            self.urls[database] = url
            credentials, scoped, platform_ids = prepare(
                url, self.args.subjects, self.args.consenting
            )
            self.credentials[database], self.scoped[database] = credentials, scoped
            if database == "sqlite":
                self.platform_ids = platform_ids
        return time.perf_counter() - started

    def env(self, database: str) -> dict[str, str]:
        return os.environ | {
            "CONSENTGATE_DATABASE_URL": self.urls.get(database, self.urls["sqlite"]),
            "CONSENTGATE_ADMIN_KEY": ADMIN_KEY,
            "CONSENTGATE_SUBJECT_TOKEN_SECRET": SUBJECT_SECRET,
            "CONSENTGATE_DETECT": "on",
            "CONSENTGATE_DETECT_REREAD_PER_SUBJECT": "1000000",
            "CONSENTGATE_RATE_LIMIT_APP": "0",
            "BENCH_SQLITE_PATH": str(self.sqlite_path),
        }

    def server(self, target: Target) -> subprocess.Popen[bytes]:
        python = sys.executable
        log = self.folder / f"{target.key.replace('/', '-')}.log"
        if target.name == "gateway":
            command = [python, "-m", "consentgate", "serve", "--port", str(PORT),
                       "--workers", str(target.workers)]  # fmt: skip
        else:
            module = "raw_sqlite_app" if target.name == "raw_sqlite" else "constant_app"
            (self.folder / f"{module}.py").write_text(
                RAW_SQLITE_APP if target.name == "raw_sqlite" else FASTAPI_CONSTANT_APP
            )
            command = [python, "-m", "uvicorn", "--app-dir", str(self.folder), f"{module}:app",
                       "--port", str(PORT), "--workers", str(target.workers),
                       "--log-level", "warning", "--no-access-log"]  # fmt: skip
        return start(command, self.env(target.database), log)

    def script(self, target: Target, base: str) -> Path:
        if target.name == "gateway":
            client_id, secret = self.credentials[target.database].split(":", 1)
            token = httpx.post(
                f"{base}/oauth/token",
                data={"grant_type": "client_credentials", "client_id": client_id,
                      "client_secret": secret},
            ).json()["access_token"]  # fmt: skip
            ids, auth = self.scoped[target.database], f"Bearer {token}"
        else:
            ids, auth = self.platform_ids, "none"
        script = self.folder / f"{target.key.replace('/', '-')}.lua"
        script.write_text(
            WRK_SCRIPT
            % {
                "ids": ",".join(f'"{i}"' for i in ids),
                "auth": auth,
                "prefix": "/v1/subjects/",
                "suffix": f"?fields={FIELDS}&purpose={PURPOSE}",
            }
        )
        return script

    def measure(self, target: Target) -> list[dict[str, Any]]:
        """Every connection count against one fresh server of ``target``."""
        server = self.server(target)
        try:
            base = f"http://127.0.0.1:{PORT}"
            wait_for(f"{base}/healthz" if target.name == "gateway" else f"{base}/v1/subjects/1")
            script = self.script(target, base)
            runs = []
            for connections in self.connections:
                leaves = leaf_count(self.urls[target.database]) if target.name == "gateway" else 0
                before = tree_cpu_s(server.pid)
                run = run_wrk(script, base, connections, self.args.duration)
                cpu = tree_cpu_s(server.pid) - before
                run["cpu_us_per_req"] = round(cpu * 1e6 / max(1, run["requests"]), 1)
                if target.name == "gateway":
                    time.sleep(0.2)  # requests wrk cut off may still be committing
                    added = leaf_count(self.urls[target.database]) - leaves
                    ok = run["requests"] - run["non_2xx"]
                    run["leaves_added"] = added
                    run["leaves_minus_2xx"] = added - ok
                    run["leaves_match"] = 0 <= added - ok <= connections
                runs.append(run)
            return runs
        finally:
            stop(server)


def median_round(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per connection count, the round with the median CPU µs/req (all its figures), with
    every round's CPU µs/req and req/s."""
    chosen = []
    for by_connections in zip(*rounds, strict=True):
        ordered = sorted(by_connections, key=lambda r: r["cpu_us_per_req"])
        chosen.append(
            ordered[len(ordered) // 2]
            | {
                "all_cpu_us_per_req": [r["cpu_us_per_req"] for r in by_connections],
                "all_per_s": [r["per_s"] for r in by_connections],
            }
        )
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds")
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--consenting", type=int, default=2_000)
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument(
        "--targets", default="gateway,raw_sqlite,fastapi_constant", help="which to run"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    databases = args.databases.split(",")
    if "sqlite" not in databases:
        databases.insert(0, "sqlite")  # the references read the SQLite platform
    workers = [int(w) for w in args.workers.split(",")]
    names = args.targets.split(",")
    targets = [Target("gateway", d, w) for d in databases for w in workers if "gateway" in names]
    targets += [Target(n, "sqlite", w) for n in names if n != "gateway" for w in workers]

    folder = Path(tempfile.mkdtemp(prefix="consentgate-bench-"))
    bench = Bench(args, folder)
    setup_s = bench.prepare(databases)
    rounds: dict[str, list[list[dict[str, Any]]]] = {t.key: [] for t in targets}
    for number in range(args.rounds):
        for target in targets if number % 2 == 0 else list(reversed(targets)):
            rounds[target.key].append(bench.measure(target))
    results = {key: median_round(found) for key, found in rounds.items()}
    every_gateway_run = [r for k, rs in rounds.items() if k.startswith("gateway") for x in rs
                         for r in x]  # fmt: skip
    report = {
        "benchmark": "gateway_http",
        "setup_s": round(setup_s, 1),
        "subjects": args.subjects,
        "consenting_subjects_read": args.consenting,
        "fields": FIELDS,
        "duration_s_per_run": args.duration,
        "rounds": args.rounds,
        "results": results,
        "every_gateway_run_leaves_match": all(r["leaves_match"] for r in every_gateway_run),
        "gateway_errors": sum(r["non_2xx"] + r["socket_errors"] for r in every_gateway_run),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_before": os.getloadavg()},
    }  # fmt: skip
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
