"""`feedback-server fft-return` and `feedback-server fft-codes`: the Friends and Family Test return, and the codes
it needs (docs/fft.md). cli.py adds them, with the ``--db`` option every command has."""

from __future__ import annotations

import getpass
from dataclasses import replace
from pathlib import Path

import click

from sync.core.clock import utc_now
from sync.core.commands import check_export_folder
from sync.server.fft.codes import MODES, SiteCodes, Ward, all_site_codes, all_wards, set_site_codes, set_ward
from sync.server.fft.tables import FORMATS, Format
from sync.server.reports.period import Month, ReportError, parse_period
from sync.server.storage.db import open_database


def by_command_line() -> str:
    """Who made a change from the command line, for the audit log (there is no dashboard account)."""
    return f"command line ({getpass.getuser()})"


def _month(_ctx: click.Context, _param: click.Parameter, value: str) -> Month:
    try:
        period = parse_period(value)
    except ReportError as exc:
        raise click.BadParameter(str(exc)) from None
    if not isinstance(period, Month):
        raise click.BadParameter("the return is monthly: give a month, such as 2026-10")
    return period


@click.command("fft-return")
@click.option("--period", "month", required=True, metavar="YYYY-MM", callback=_month,
              help="The month, e.g. 2026-10 for October 2026, by the day people answered (the kiosks' clocks, UTC).")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="csv: the ward rows, as NHS England's ward-level data; xlsx: notes and checks, then the Wards, "
                   "Sites and Trusts sheets. Default: from the --out file's ending, else csv.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write, for example fft-2026-10.xlsx")
@click.option("--publish", is_flag=True,
              help="Make the version to publish (a website, a Board paper): NHS England's suppression hides every "
                   "figure of a ward, site or organisation with 1 to 4 answers, and those that would give it away. "
                   "Without it: exact counts, for NHS England's data collection only.")
@click.option("--site", "sites", multiple=True, help="Only this site; repeat for several. Default: every site.")
def fft_return(month: Month, fmt: Format | None, out: Path, publish: bool, sites: tuple[str, ...], db: str) -> None:
    """Make the NHS Friends and Family Test monthly return: for each ward, the six answers' counts (Very Good to
    Don't Know), Total Responses, the percentages positive and negative, and responses by collection mode,
    with the organisation and site codes set with `feedback-server fft-codes`.

    Example: feedback-server fft-return --period 2026-10 --format xlsx --out fft-2026-10.xlsx
    """
    from tqdm import tqdm

    from sync.server.fft.files import write_return
    from sync.server.fft.tables import month_return, responses_given

    check_export_folder(out)
    chosen_format: Format = fmt or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    engine = open_database(db, create=False)
    with tqdm(total=responses_given(engine, month), unit=" responses", disable=None, leave=False) as bar:
        made = month_return(engine, month, sites or None, bar.update)
    try:
        write_return(made, chosen_format, out, published=publish, now=utc_now())
    except OSError as exc:
        raise click.ClickException(f"could not write {out}: {exc.strerror or exc}") from exc
    wards = len(made.levels["Wards"])
    kind = "the publication version of the" if publish else "the"
    click.echo(f"Wrote {kind} Friends and Family Test return for {month.label} to {out}: {made.total:,} answers "
               f"from {wards} ward{'s' * (wards != 1)}.")
    if made.checks:
        click.echo("Check before you submit:")
        for check in made.checks:
            click.echo(f"- {check}")


@click.group("fft-codes")
def fft_codes() -> None:
    """The codes NHS England knows your services by, for the Friends and Family Test return: each site's ODS
    organisation and site codes and collection mode, and the ward or service each kiosk stands in."""


@fft_codes.command("site")
@click.argument("site")
@click.option("--org-code", help="The organisation's ODS code, e.g. RWD (an NHS trust) or A81001.")
@click.option("--org-name", help="The organisation's name, as NHS England writes it.")
@click.option("--site-code", help="The site's ODS code, e.g. RWDLA (a trust's code and two more).")
@click.option("--icb-code", help="The integrated care board's ODS code, e.g. QMF (optional).")
@click.option("--mode", type=click.Choice(MODES), help="How the site's kiosks collect answers, as NHS England "
              "names the modes. A kiosk on a ward or in a day centre is \"Other\" (the default).")
def site_codes(site: str, org_code: str | None, org_name: str | None, site_code: str | None, icb_code: str | None,
               mode: str | None, db: str) -> None:
    """Set SITE's codes (the site as the server names it, e.g. "Mile End"). Options left out keep their value.

    Example: feedback-server fft-codes site "Mile End" --org-code RWD --site-code RWDLA --org-name "Rose Trust"
    """
    engine = open_database(db, create=False)
    with engine.begin() as connection:
        held = all_site_codes(connection).get(site.strip()) or SiteCodes(site=site, org_code="")
        given = {"org_code": org_code, "org_name": org_name, "site_code": site_code, "icb_code": icb_code,
                 "mode": mode}
        stored = set_site_codes(connection, replace(held, **{k: v for k, v in given.items() if v is not None}),
                                by_command_line())
    click.echo(f"{stored.site}: organisation {stored.org_code} {stored.org_name}".rstrip() +
               f", site code {stored.site_code or '(none)'}, ICB {stored.icb_code or '(none)'}, mode {stored.mode}.")


@fft_codes.command("ward")
@click.argument("kiosk")
@click.option("--ward", required=True, help="The ward or service the kiosk stands in, e.g. \"Willow ward\".")
@click.option("--specialty", default="", help="Its main specialty: the 3-digit code, optionally with its name, "
              "e.g. \"710 - Adult mental illness\".")
@click.option("--second-specialty", default="", help="A second main specialty, the same way (optional).")
def ward(kiosk: str, ward: str, specialty: str, second_specialty: str, db: str) -> None:
    """Say which ward or service KIOSK stands in; kiosks in one ward are counted together.

    Example: feedback-server fft-codes ward lounge-1 --ward "Willow ward" --specialty "710 - Adult mental illness"
    """
    engine = open_database(db, create=False)
    with engine.begin() as connection:
        stored = set_ward(connection, Ward(kiosk=kiosk, ward=ward, first_specialty=specialty,
                                           second_specialty=second_specialty), by_command_line())
    specialties = ", ".join(one for one in (stored.first_specialty, stored.second_specialty) if one)
    click.echo(f"Kiosk {stored.kiosk} is in {stored.ward}" + (f" ({specialties})." if specialties else "."))


@fft_codes.command("list")
def list_codes(db: str) -> None:
    """Show every site's codes and every kiosk's ward.

    Example: feedback-server fft-codes list
    """
    engine = open_database(db, create=False)
    with engine.connect() as connection:
        sites, wards = all_site_codes(connection), all_wards(connection)
    if not sites and not wards:
        click.echo("No codes set yet: feedback-server fft-codes site SITE --org-code CODE")
    for codes in sites.values():
        click.echo(f"site  {codes.site:<24} org {codes.org_code:<7} site {codes.site_code or '-':<9} "
                   f"ICB {codes.icb_code or '-':<4} mode {codes.mode:<21} {codes.org_name}")
    for one in wards.values():
        click.echo(f"kiosk {one.kiosk:<24} ward {one.ward:<30} {one.first_specialty} {one.second_specialty}".rstrip())
