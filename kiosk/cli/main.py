"""The ``kiosk`` command: parses arguments and calls the library; nothing else lives here."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from dataclasses import asdict
from datetime import date
from pathlib import Path

import click

from kiosk.cli.options import config_option, data_option
from kiosk.device.doctor import doctor
from kiosk.session.flow import SaveFailed
from kiosk.staff.pin import set_pin_command
from kiosk.voice.cli import transcribe, voice
from sync.core import commands
from sync.core.commands import check_export_folder, export_to_file, redact_names_option, time_detail_option
from sync.core.private_files import tighten


def open_store(data_dir: Path, *, create: bool = False):  # type: ignore[no-untyped-def]
    """Open the kiosk's store, private to this user (sync.core.private_files); commands that only read must not create
    an empty one by mistake."""
    from kiosk.session.store import DB_FILENAME, Store

    if not create and not (data_dir / DB_FILENAME).is_file():
        raise click.UsageError(f"no kiosk answers found in {data_dir} (is --data or KIOSK_DATA_DIR right?)")
    tighten(data_dir / DB_FILENAME, folder_too=True)
    return Store(data_dir)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Feedback kiosk: people tap pictures or speak to say what they think of their support.

    Start the touchscreen with `kiosk run`. See what it holds with `kiosk status`,
    and copy it out for a spreadsheet with `kiosk export`.
    """


@cli.command()
@config_option
@data_option
@click.option("--windowed", is_flag=True,
              help="Run in a window instead of full screen. This is automatic on a desktop (DISPLAY set) "
                   "unless KIOSK_FULLSCREEN=1.")
@click.option("--size", default="1280x800", show_default=True,
              help="Window size with --windowed; 800x1280 is portrait.")
def run(config_dir: Path | None, data_dir: Path, windowed: bool, size: str) -> None:
    """Start the touchscreen app.

    Example: kiosk run --windowed
    """
    from kiosk.device.logs import log_app
    from kiosk.keyboard import load_keyboard
    from kiosk.session.settings import load_config
    from sync.core.privacy.concerns import load_concern_rules

    try:
        width, height = (int(part) for part in size.lower().split("x"))
    except ValueError:
        raise click.BadParameter("give the size as WIDTHxHEIGHT, for example 1280x800", param_hint="--size") from None
    config = load_config(config_dir)  # refuse to start half-configured
    learned = config.settings.privacy.learned_concerns
    concern_rules = {language: load_concern_rules(language, config.config_dirs, learned=learned)
                     for language in config.settings.offered}
    keyboards = {language: load_keyboard(language, config.config_dirs) for language in config.settings.offered}
    log_app(data_dir)  # once the settings are known good; before Kivy is imported
    for rules in concern_rules.values():  # load the learned reader's encoder now, not at the first text
        threading.Thread(target=rules.warm_up, name="concern-encoder", daemon=True).start()
    on_desktop = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    windowed = windowed or (on_desktop and os.environ.get("KIOSK_FULLSCREEN") != "1")
    from kiosk.ui.app import run_app

    run_app(config=config, data_dir=data_dir, windowed=windowed, size=(width, height), concern_rules=concern_rules,
            keyboards=keyboards)


@cli.command()
@click.argument("count", type=click.IntRange(min=1))
@config_option
@data_option
@click.option("--seed", type=int, help="Make the random answers repeatable.")
def simulate(count: int, config_dir: Path | None, data_dir: Path, seed: int | None) -> None:
    """Record COUNT made-up complete sessions through the real flow and store (demos, load tests).

    Prints "committed <id> <seq>" for each session once it is safely stored.

    Example: kiosk simulate 100 --data /tmp/demo --seed 1
    """
    from tqdm import tqdm

    from kiosk.session.settings import load_config
    from kiosk.session.simulate import simulate as run_simulation

    config = load_config(config_dir)
    store = open_store(data_dir, create=True)
    with tqdm(total=count, unit=" sessions", disable=None, file=sys.stderr, leave=False) as bar:

        def report(saved):  # type: ignore[no-untyped-def]
            print(f"committed {saved.id} {saved.seq}", flush=True)
            bar.update()

        run_simulation(count, config=config, store=store, seed=seed, on_saved=report)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), required=True,
              help="csv or xlsx for a spreadsheet (one row per response); jsonl keeps everything.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write, for example /media/usb/feedback.csv")
@data_option
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Only responses from this date on (YYYY-MM-DD).")
@time_detail_option
@redact_names_option
def export(fmt: str, out: Path, data_dir: Path, since: date | None, time_detail: str, redact_names: bool) -> None:
    """Copy what this kiosk holds into a file for a spreadsheet.

    Example: kiosk export --format xlsx --out /media/usb/feedback.xlsx --since 2026-10-01
    """
    from kiosk.session.store_export import KioskSource

    check_export_folder(out)
    export_to_file(KioskSource(open_store(data_dir)), fmt, out, since, time_detail, redact_names)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (for scripts).")
@data_option
def status(as_json: bool, data_dir: Path) -> None:
    """Show how many answers are stored, waiting to sync, and when the last sync was confirmed.

    Example: kiosk status
    """
    store = open_store(data_dir)
    recovery = store.last_recovery()
    report = {
        **store.counts(),
        "kiosk_id": store.kiosk_id,
        "data_dir": str(data_dir),
        "database_ok": store.integrity_ok(),
        "disk_free_bytes": shutil.disk_usage(data_dir).free,
        "last_recovery": recovery and {**asdict(recovery), "description": recovery.describe()},
    }
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(
        f"Answers stored here:           {report['stored']} ({report['incomplete']} not finished)\n"
        f"Waiting to be sent:            {report['pending']}\n"
        f"Could not be sent (tell IT):   {report['dead']}\n"
        f"Last confirmed sync:           {report['last_sync'] or 'never'}\n"
        f"Sync:                          {report['sync_status'] or 'not set up'}\n"
        f"Database check:                {'OK' if report['database_ok'] else 'PROBLEM - tell IT'}\n"
        f"Free disk space:               {report['disk_free_bytes'] / 1e9:.1f} GB\n"
        f"Data folder:                   {data_dir}"
        + (f"\nLast repair:                   {recovery.describe()}" if recovery else "")
    )


cli.add_command(voice)
cli.add_command(transcribe)
cli.add_command(doctor)
cli.add_command(set_pin_command)


def run_command(command: click.Command, plain_errors: tuple[type[Exception], ...] = ()) -> None:
    """Run a command as every command of the project is run (sync.core.commands.run_command), and say in one plain
    line when the kiosk's database cannot be used."""
    try:
        commands.run_command(command, plain_errors)
    except SaveFailed as exc:
        click.echo(f"Error: the kiosk's database cannot be used: {exc}", err=True)
        sys.exit(1)


def main() -> None:
    run_command(cli)
