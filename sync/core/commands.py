"""What the ``kiosk``, ``kiosk-sync`` and ``feedback-server`` commands share: how a command is run so that a
person's mistake ends in one plain line, and the options and export step of ``kiosk export`` and
``feedback-server export``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from sync.core.config_files import ConfigError
from sync.core.private_files import private_by_default


def check_export_folder(out: Path) -> None:
    if not out.parent.is_dir():
        raise click.BadParameter(f"the folder {out.parent} does not exist", param_hint="--out")


def time_detail_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--time-detail", type=click.Choice(["hour", "day", "week"]), default="day", show_default=True,
                        help="How exactly to show when each answer was given (less is more anonymous).")(func)


def redact_names_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--redact-names``, for exports and reports: names are redacted when published, not when stored."""
    return click.option("--redact-names", is_flag=True,
                        help="Put [name] in place of people's names in what people wrote (\"Dr Jones\", \"Trevor\"), "
                             "for a copy to publish or share. What is stored keeps names as the kiosks' "
                             "privacy.staff_names setting says.")(func)


def export_to_file(source, fmt: str, out: Path, since: date | None, time_detail: str,  # type: ignore[no-untyped-def]
                   redact_names: bool = False) -> None:
    """Write an export and say how many responses it holds; a failed write is one plain line."""
    from sync.core.export import write_export

    try:
        count = write_export(source, fmt, out, since=since.strftime("%Y-%m-%d") if since else None,  # type: ignore[arg-type]
                             time_detail=time_detail, redact_names=redact_names)  # type: ignore[arg-type]
    except OSError as exc:  # disk full, USB stick pulled out: nothing half-written is left behind
        raise click.ClickException(f"could not write {out}: {exc.strerror or exc}") from exc
    click.echo(f"Wrote {count} responses to {out}")



def run_command(command: click.Command, plain_errors: tuple[type[Exception], ...] = ()) -> None:
    """Run a command so that every failure a person can cause ends in one plain line and a non-zero exit.
    ``plain_errors`` are the command's own exceptions whose message already says what to do. All it makes is
    readable by this user only (sync.core.private_files)."""
    private_by_default()
    try:
        command.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        hint = f" (see: {exc.ctx.command_path} --help)" if getattr(exc, "ctx", None) else ""
        click.echo(f"Error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except (ConfigError, *plain_errors) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
