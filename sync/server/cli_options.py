"""Command-line options shared by several `feedback-server` commands (kept apart from cli.py so that modules
with commands of their own, such as reports/schedule.py, can use them without importing cli.py)."""

from __future__ import annotations

import click

from sync.core.config_files import ConfigError
from sync.server.domain.participation import PARTICIPATION_VARIABLE, ReferenceMix, reference_mix_from


def _reference_mix(_context: click.Context, _parameter: click.Parameter, value: str | None) -> ReferenceMix:
    try:
        return reference_mix_from(value)
    except ConfigError as error:
        raise click.BadParameter(str(error)) from None


participation_option = click.option(
    "--participation", "reference_mix", envvar=PARTICIPATION_VARIABLE, type=click.Path(dir_okay=False),
    metavar="FILE", callback=_reference_mix,
    help="Who each site expects to hear from (example: config/participation.toml); the report's \"Who answered\" "
         f"compares. Also ${PARTICIPATION_VARIABLE}.")
"""``--participation FILE``, given to the command as ``reference_mix`` (an empty mix without a file)."""
