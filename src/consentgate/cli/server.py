"""`consentgate serve`, `consentgate demo`, `consentgate subjects token`,
`consentgate operators create|list|revoke`."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Annotated

import httpx
import structlog
import typer
import uvicorn

from consentgate.api import create_app
from consentgate.authz import Actor
from consentgate.cli.database import command_runtime
from consentgate.cli.output import (
    CommandGroup,
    JsonOption,
    print_json,
    print_record,
    print_table,
)
from consentgate.errors import InvalidInput
from consentgate.logs import configure_logging
from consentgate.operators import (
    Role,
    create_operator_key,
    demo_operator_key,
    revoke_operator_key,
    seed_operator_key,
)
from consentgate.runtime import Runtime
from consentgate.settings import load_settings
from consentgate.sim.replay import run_replay
from consentgate.sim.showcase import seed_showcase
from consentgate.sources.synthetic import generate_platform, platform_stats
from consentgate.tokens import mint_subject_token

CLI = Actor.system("cli")
log = structlog.get_logger("consentgate.cli")

subjects_app = typer.Typer(cls=CommandGroup, help="Data subjects of the demo platform.")
operators_app = typer.Typer(cls=CommandGroup, help="Operator keys (admin, dpo, auditor).")


def minting_secret(runtime: Runtime) -> bytes:
    """The HS256 secret the demo platform's identity provider signs subject tokens with
    (``runtime`` opened in demo mode always has one)."""
    if runtime.subject_secret is None:
        raise InvalidInput("no subject-token secret: open the runtime in demo mode")
    return runtime.subject_secret


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Serve the demo platform, generating it if the database is empty.")
    ] = False,
    subjects: Annotated[int, typer.Option(help="Demo platform size.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Demo platform seed.")] = 1,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (each with its own runtime).")
    ] = 1,
    showcase: Annotated[
        bool,
        typer.Option(
            help="Under --demo, seed three apps to look at in the console and the privacy "
            "centre when the registry is empty."
        ),
    ] = True,
) -> None:
    """Serve the consentgate HTTP API (OpenAPI at /docs). With ``--workers N`` the set-up
    (migration, demo platform, operator key) happens once here, then N processes serve the
    same port, each with a runtime of its own over the same database."""
    configure_logging()
    runtime = command_runtime(load_settings(demo=True) if demo else None, create=True)
    app = create_app(runtime)  # refuses a server that could verify no subject token
    admin = runtime.settings.admin_key
    key: str | None = None
    if admin is not None:
        seed_operator_key(runtime.stores.operators, admin.get_secret_value())
    if runtime.settings.demo:
        if not platform_stats(runtime.engine, catalog=runtime.catalog).subjects:
            typer.echo(f"generating the demo platform ({subjects} subjects, seed {seed})...")
            generate_platform(runtime.engine, subjects=subjects, seed=seed, catalog=runtime.catalog)
        if admin is None:  # a key of the demo's own: this start's, the last one revoked
            key = shown = demo_operator_key(runtime.stores.operators)
            typer.echo(f"operator key (admin, shown once; the last start's is revoked): {key}")
        else:  # the deployer's own key is used (the showcase), never printed back
            key, shown = admin.get_secret_value(), "$CONSENTGATE_ADMIN_KEY"
        if runtime.settings.demo_clock is not None:
            typer.echo(f"demo clock: started at {runtime.settings.demo_clock.isoformat()}")
        token = mint_subject_token("1", minting_secret(runtime))
        base = f"http://{host}:{port}"
        typer.echo(
            "\n".join(
                [
                    f"consentgate demo on {base} — OpenAPI at {base}/docs",
                    f"privacy centre: {base}/privacy/login (pick a demo person, e.g. 1)",
                    f"DPO console:    {base}/console/login (the operator key above)",
                    "try:",
                    f'  curl -s {base}/v1/apps -H "Authorization: Bearer {shown}"',
                    f"  curl -s {base}/v1/me/consents -H 'Authorization: Bearer {token}'",
                    "  (subject tokens: consentgate subjects token ID)",
                ]
            )
        )
    if workers == 1:
        if runtime.settings.demo and showcase and key is not None:
            _showcase_when_up(runtime, f"http://{host}:{port}", key, seed=seed)
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        finally:
            runtime.close()
        return
    runtime.close()  # the workers open their own, from the same environment
    if demo:
        os.environ["CONSENTGATE_DEMO"] = "on"  # inherited by the worker processes
    uvicorn.run(
        "consentgate.api.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )


def _showcase_when_up(runtime: Runtime, base: str, key: str, *, seed: int) -> None:
    """Seed the showcase apps (``sim.showcase``) over HTTP once the server answers, in a
    thread of its own; a failure is logged, the server serves on."""

    def run() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        try:
            made = seed_showcase(runtime, base, key, seed=seed)
        except Exception as exc:  # noqa: BLE001 — a demo nicety must never stop the server
            log.warning("showcase_failed", error=type(exc).__name__, detail=str(exc)[:200])
            return
        if made.get("seeded"):
            log.info("showcase_seeded", **made)

    threading.Thread(target=run, name="consentgate-showcase", daemon=True).start()


def demo(
    subjects: Annotated[int, typer.Option(help="Platform size.")] = 20_000,
    installs: Annotated[int, typer.Option(help="Quiz installers.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the platform and the installers.")] = 1,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Replay Cambridge Analytica: Graph API v1.0 semantics vs consentgate over HTTP."""
    configure_logging(level=logging.WARNING)
    if installs < 1 or subjects < installs:
        raise InvalidInput("need 1 <= --installs <= --subjects")
    result = run_replay(subjects=subjects, installs=installs, seed=seed).as_dict()
    if as_json:
        print_json(result)
    else:
        print_record(result, as_json=False, title="Cambridge Analytica replay")


@subjects_app.command("token")
def subject_token(
    subject_id: Annotated[str, typer.Argument(help="The platform subject id.")],
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
) -> None:
    """Mint a data-subject JWT as the demo platform's identity provider would."""
    runtime = command_runtime(load_settings(demo=True))
    if not runtime.source.attributes([subject_id]):
        raise InvalidInput(f"the platform has no subject {subject_id!r}")
    typer.echo(mint_subject_token(subject_id, minting_secret(runtime), ttl_seconds=ttl))


@operators_app.command("create")
def operator_create(
    role: Annotated[Role, typer.Option(help="admin, dpo or auditor.")],
    label: Annotated[str | None, typer.Option(help="Who or what the key is for.")] = None,
) -> None:
    """Create an operator key (printed once; only its digest is stored)."""
    runtime = command_runtime()
    typer.echo(create_operator_key(runtime.stores.operators, role=role, label=label, actor=CLI))


_OPERATOR_COLUMNS = ("id", "role", "label", "created_by", "revoked_us", "revoked_by")


@operators_app.command("list")
def operator_list(as_json: Annotated[bool, JsonOption] = False) -> None:
    """List operator keys (never the keys): role, label, who created and who revoked each."""
    runtime = command_runtime()
    rows = [key.as_dict() for key in runtime.stores.operators.list_keys()]
    print_table(rows, _OPERATOR_COLUMNS, as_json=as_json, title="operator keys")


@operators_app.command("revoke")
def operator_revoke(
    operator_id: Annotated[str, typer.Argument(help="The key's id (op_…), from list.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Revoke an operator key: refused at once on every server using this database."""
    runtime = command_runtime()
    revoked = revoke_operator_key(runtime.stores.operators, operator_id, actor=CLI)
    print_record(revoked.as_dict(), as_json=as_json, title="revoked")
