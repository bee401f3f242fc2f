"""`consentgate master-key rotate`: seal every stored key and secret under a new master
key (docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from consentgate.cli.database import command_runtime
from consentgate.cli.output import CommandGroup, JsonOption, print_record
from consentgate.storage.at_rest import reseal_at_rest
from consentgate.storage.master import new_key_file

app = typer.Typer(cls=CommandGroup, help="The master key the stored keys are sealed under.")


@app.command()
def rotate(
    to_file: Annotated[Path, typer.Option(help="A new file for the new key (created mode 0600).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Generate a new master key into --to-file and seal every private key and server
    secret under it (one transaction). Then point every server at it
    (CONSENTGATE_MASTER_KEY_FILE) and restart them; the old key opens nothing any more."""
    runtime = command_runtime()
    try:
        sealed = reseal_at_rest(runtime.db, new_key_file(to_file))
    finally:
        runtime.close()
    record = {
        "sealed": sealed,
        "key_file": str(to_file.resolve()),
        "next": f"set CONSENTGATE_MASTER_KEY_FILE={to_file.resolve()} on every server "
        "(unset CONSENTGATE_MASTER_KEY) and restart them",
    }
    print_record(record, as_json=as_json, title="master key rotated")
