"""Options shared by every kiosk command (``kiosk …``, ``kiosk voice …``, ``kiosk-sync``), in a module of
their own so the command modules can use them without importing one another."""

from __future__ import annotations

from pathlib import Path

import click
from platformdirs import user_data_dir

DATA_HELP = "Folder holding this kiosk's data (default: $KIOSK_DATA_DIR, else your user data folder)."


def data_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="KIOSK_DATA_DIR",
        default=lambda: user_data_dir("feedback-kiosk", appauthor=False),
        show_default="your user data folder",
        help=DATA_HELP,
    )(func)


config_option = click.option(
    "--config",
    "config_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with your own kiosk.toml, questions/ and pictures/ (default: the built-in settings).",
)
