"""The ``kiosk-sync`` command: parses arguments and runs the sync job; nothing else lives here."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from filelock import FileLock, Timeout

from kiosk.cli.main import open_store, run_command
from kiosk.cli.options import config_option, data_option
from kiosk.device.logs import log_job

EXIT_ALREADY_RUNNING = 4


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--once", is_flag=True,
              help="One pass: send what is waiting (a few quick retries), then stop. Exit 0 when nothing is left.")
@data_option
@config_option
@click.option("--server", "server_url", help="Central server address (default: sync.server_url in kiosk.toml).")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File holding this kiosk's token (default: sync.token_file, else DATA/sync-token).")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False),
              help="CA certificate for a server whose certificate your own authority signed.")
def sync(once: bool, data_dir: Path, config_dir: Path | None, server_url: str | None, token_file: Path | None,
         ca_file: str | None) -> None:
    """Send this kiosk's answers to the central server and bring back its updates.

    Without --once it keeps running, and waits and retries whenever the network or server is away.
    Exit codes with --once: 0 all sent, 1 some still waiting, 3 not authorised, 4 already running.

    Example: kiosk-sync --once --server https://feedback.example.org --token-file /etc/kiosk/token
    """
    from kiosk.device.recovery import open_store as open_checked_store
    from kiosk.session.settings import load_config
    from sync.job import run, sync_target

    config = load_config(config_dir)
    target = sync_target(config, data_dir, server_url=server_url, token_file=token_file, ca_file=ca_file)
    if target is None:
        raise click.UsageError("no server address: give --server or set sync.server_url in kiosk.toml")
    if not target.token_file.is_file():
        raise click.UsageError(f"no token file at {target.token_file} (give --token-file)")
    log_job("kiosk-sync")
    open_store(data_dir).close()  # a plain error now if there is no kiosk database here at all
    try:
        with FileLock(data_dir / "sync.lock", timeout=0):
            sys.exit(run(functools.partial(open_checked_store, data_dir), target, config, data_dir, once=once))
    except Timeout:
        click.echo(f"Error: another kiosk-sync is already running for {data_dir}", err=True)
        sys.exit(EXIT_ALREADY_RUNNING)


def main() -> None:
    run_command(sync)
