"""The ``feedback-server`` command: parses arguments and calls the server's modules; nothing else lives here."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from platformdirs import user_data_dir

from sync.core.commands import check_export_folder, export_to_file, redact_names_option, run_command, time_detail_option
from sync.core.config_files import ConfigError
from sync.core.export import SUPPRESS_BELOW, SUPPRESS_BELOW_VARIABLE
from sync.core.protocol import Translation
from sync.server.api.batch_rate import BATCHES_PER_MINUTE
from sync.server.cli_options import participation_option
from sync.server.domain.kiosks import KioskError, check_label
from sync.server.domain.notify import NOTIFY_EMAIL_VARIABLE, NOTIFY_WEBHOOK_VARIABLE, SMTP_VARIABLE, notifier
from sync.server.domain.participation import PARTICIPATION_VARIABLE, ReferenceMix, reference_mix_from
from sync.server.domain.retention import KEEP_DAYS_VARIABLE, MAX_KEEP_DAYS
from sync.server.domain.site_content import ContentError, check_translation_languages
from sync.server.domain.staff import ROLES, StaffError
from sync.server.fft.codes import FftCodesError
from sync.server.fft.commands import fft_codes, fft_return
from sync.server.reports.period import ReportError
from sync.server.reports.schedule import reports_due
from sync.server.storage.db import DEFAULT_FILENAME, DatabaseSetupError, database_url, open_database


def _default_db() -> str:
    return str(Path(user_data_dir("feedback-server", appauthor=False)) / DEFAULT_FILENAME)


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db", "db", envvar="FEEDBACK_SERVER_DB", default=_default_db,
        show_default=f"{DEFAULT_FILENAME} in your user data folder",
        help="The server's database: a SQLite file path, or postgresql+psycopg://user:password@host/name "
             "(also $FEEDBACK_SERVER_DB).")(func)


def _label(what: str) -> Callable[[click.Context, click.Parameter, str], str]:
    """Check a name or site before anything is opened, so bad input leaves no new database behind."""

    def check(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
        try:
            return check_label(what, value)
        except KioskError as exc:
            raise click.BadParameter(str(exc)) from None

    return check


def _translations(_ctx: click.Context, _param: click.Parameter,
                  value: tuple[tuple[str, str, str], ...]) -> dict[str, Translation]:
    """``--translation LANG SAID DID`` given any number of times, by language, checked before anything is opened."""
    tags = [tag.strip().lower() for tag, _said, _did in value]
    try:
        check_translation_languages(tags)
    except ContentError as exc:
        raise click.BadParameter(str(exc)) from None
    return {tag: Translation(said=said, did=did) for tag, (_tag, said, did) in zip(tags, value, strict=True)}


def site_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--site", required=True, callback=_label("site"),
                        help="The site (service) the kiosks stand in, e.g. 'Mile End'.")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Central server for the feedback kiosks: receives every kiosk's answers and sends back
    question sets and "You said, we did".

    Enrol each kiosk with `feedback-server add-kiosk`, start the server with `feedback-server serve`,
    and check on the kiosks with `feedback-server stats`.
    """


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 listens on every network (put HTTPS in front).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False),
              help="Serve HTTPS with this certificate (PEM); otherwise put HTTPS in front of the server.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="The private key for --tls-cert.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes sharing the port (PostgreSQL only): about one per CPU core.")
@click.option("--notify-webhook", envvar=NOTIFY_WEBHOOK_VARIABLE, metavar="URL",
              help="POST a short JSON message here when a safeguarding concern arrives (where and what kind, "
                   f"never the words); also ${NOTIFY_WEBHOOK_VARIABLE}.")
@click.option("--notify-email", envvar=NOTIFY_EMAIL_VARIABLE, metavar="ADDRESS",
              help=f"Email this address the same message; also ${NOTIFY_EMAIL_VARIABLE}.")
@click.option("--smtp", envvar=SMTP_VARIABLE, metavar="HOST[:PORT]", default="localhost", show_default=True,
              help=f"The mail relay for --notify-email; also ${SMTP_VARIABLE}.")
@click.option("--keep-days", envvar=KEEP_DAYS_VARIABLE, type=click.IntRange(0, MAX_KEEP_DAYS), default=0,
              show_default=True, metavar="N",
              help="Forget responses received more than N days ago, at start and then once a day, like "
                   "`feedback-server forget`; those waiting in the safeguarding queue are kept. 0 keeps everything. "
                   f"Also ${KEEP_DAYS_VARIABLE}.")
@click.option("--suppress-below", envvar=SUPPRESS_BELOW_VARIABLE, type=click.IntRange(1, 100), default=SUPPRESS_BELOW,
              show_default=True, metavar="N",
              help="The dashboard shows any count below N as \"fewer than N\", so no small group can be singled "
                   f"out. Also ${SUPPRESS_BELOW_VARIABLE}.")
@click.option("--participation", envvar=PARTICIPATION_VARIABLE, type=click.Path(dir_okay=False), metavar="FILE",
              help="Who each site expects to hear from, by language, channel and \"About you\" group (example: "
                   f"config/participation.toml); the dashboard's \"Who is answering\" compares. Also "
                   f"${PARTICIPATION_VARIABLE}.")
@click.option("--trust-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="Believe X-Forwarded-For and X-Forwarded-Proto only from this reverse proxy (an address or a "
                   "network such as 10.0.0.0/24); repeat for several. A proxy on this machine is 127.0.0.1. "
                   "Without it the headers are ignored: sign-in limits then count the proxy's address, and the "
                   "session cookie and HSTS need --tls-cert.")
@click.option("--openapi", is_flag=True,
              help="Serve the API's OpenAPI document at /openapi.json (for fuzzers and client generators). "
                   "/docs and /redoc are never served: they load scripts from another site.")
@click.option("--batches-per-minute", type=click.IntRange(0, 100_000), default=BATCHES_PER_MINUTE, show_default=True,
              metavar="N", help="Batches each kiosk may send a minute (a minute's worth at once); more are answered "
                                "429, and the kiosk tries again later. 0: no limit.")
def serve(db: str, host: str, port: int, tls_cert: str | None, tls_key: str | None, workers: int,
          notify_webhook: str | None, notify_email: str | None, smtp: str, keep_days: int,
          suppress_below: int, participation: str | None, trusted_proxies: tuple[str, ...], openapi: bool,
          batches_per_minute: int) -> None:
    """Run the central server until stopped with Ctrl+C. Creates the database on first run.

    Example: feedback-server serve --db /srv/feedback/feedback-server.db --port 8000 --keep-days 730
    """
    import uvicorn

    from sync.server.app import BATCHES_PER_MINUTE_VARIABLE, OPENAPI_VARIABLE, create_app

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("give both --tls-cert and --tls-key, or neither")
    if workers > 1 and not database_url(db).startswith("postgresql"):
        # the SQLite path queues writers inside one process (sync/server/app.py); processes would race
        raise click.UsageError("--workers needs a PostgreSQL database; a SQLite server runs as one process")
    if workers > 1:  # each worker process makes its own notifier, and forgets, from the environment
        os.environ.update({name: value for name, value in ((NOTIFY_WEBHOOK_VARIABLE, notify_webhook),
                           (NOTIFY_EMAIL_VARIABLE, notify_email), (SMTP_VARIABLE, smtp)) if value})
        os.environ[KEEP_DAYS_VARIABLE] = str(keep_days)
        os.environ[SUPPRESS_BELOW_VARIABLE] = str(suppress_below)
        os.environ[OPENAPI_VARIABLE] = "1" if openapi else ""
        os.environ[BATCHES_PER_MINUTE_VARIABLE] = str(batches_per_minute)
    try:
        reference_mix = reference_mix_from(participation)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    if workers > 1 and participation:
        os.environ[PARTICIPATION_VARIABLE] = str(Path(participation).resolve())
    on_concern = notifier(webhook_url=notify_webhook, email_to=notify_email, smtp=smtp) if workers == 1 else None
    # creates or upgrades the tables before any worker starts; only a lone process forgets in this app
    app = create_app(db, on_concern=on_concern, keep_days=keep_days if workers == 1 else 0,
                     suppress_below=suppress_below, reference_mix=reference_mix, openapi=openapi,
                     batches_per_minute=batches_per_minute)
    engine = app.state.engine
    click.echo(f"Feedback server using {engine.url.render_as_string(hide_password=True)}", err=True)
    # h11: after an early 413 it discards the unread body, so the kiosk still reads our answer
    options: dict[str, Any] = dict(host=host, port=port, http="h11", log_level="info", ssl_certfile=tls_cert,
                                   ssl_keyfile=tls_key, proxy_headers=bool(trusted_proxies),
                                   forwarded_allow_ips=list(trusted_proxies))
    if workers == 1:
        uvicorn.run(app, **options)
        return
    engine.dispose()
    os.environ["FEEDBACK_SERVER_DB"] = engine.url.render_as_string(hide_password=False)  # each worker opens its own
    uvicorn.run("sync.server.app:app_from_environment", factory=True, workers=workers, **options)


@cli.command("add-kiosk")
@click.argument("name", callback=_label("kiosk name"))
@site_option
@db_option
def add_kiosk(name: str, site: str, db: str) -> None:
    """Enrol a kiosk called NAME and print its token (shown only this once).

    Example: feedback-server add-kiosk lounge-1 --site "Mile End"
    """
    from sync.server.domain.kiosks import add_kiosk as enrol

    token = enrol(open_database(db), name, site)
    click.echo(f"Kiosk {name!r} is enrolled at site {site!r}.\n"
               "Put the token below in the kiosk's token file (readable only by the kiosk's user).\n"
               "It is shown only this once; if it is lost, revoke this kiosk and enrol it under a new name.")
    click.echo(token)


@cli.command("revoke-kiosk")
@click.argument("name")
@db_option
def revoke_kiosk(name: str, db: str) -> None:
    """Stop kiosk NAME's token working (a lost or stolen kiosk). Its answers already received are kept.

    Example: feedback-server revoke-kiosk lounge-1
    """
    from sync.server.domain.kiosks import revoke_kiosk as revoke

    if revoke(open_database(db, create=False), name):
        click.echo(f"Kiosk {name!r} is revoked: its token no longer works.")
    else:
        click.echo(f"Kiosk {name!r} was already revoked.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (for scripts).")
@db_option
def stats(as_json: bool, db: str) -> None:
    """Show how many answers the server holds and how each kiosk is doing.

    Green: all sent, recently. Amber: answers still waiting, gaps, clock more than 5 minutes off, not
    heard from for a day, or never synced. Red: revoked, or not heard from for 2 days.

    Example: feedback-server stats --json
    """
    from sync.server.domain.stats import server_stats

    report = server_stats(open_database(db, create=False))
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"Answers held: {report['responses']}    Kept aside as conflicts: {report['conflicts']}")
    if not report["kiosks"]:
        click.echo("No kiosks enrolled yet (feedback-server add-kiosk NAME --site SITE).")
        return
    row = "{:<20} {:<20} {:<7} {:<25} {:>8} {:>5} {:>12}"
    click.echo(row.format("kiosk", "site", "health", "last seen (UTC)", "waiting", "gaps", "clock off by"))
    for kiosk in report["kiosks"]:
        skew = kiosk["clock_skew_seconds"]
        click.echo(row.format(
            kiosk["name"][:20], kiosk["site"][:20], "REVOKED" if kiosk["revoked"] else kiosk["health"],
            kiosk["last_seen"] or "never", "?" if kiosk["pending"] is None else kiosk["pending"],
            kiosk["sequence_gaps"], "?" if skew is None else f"{skew:.0f} s"))


@cli.group()
def questions() -> None:
    """Question sets that the kiosks at a site show."""


@questions.command("set")
@site_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def set_questions(site: str, file: Path, db: str) -> None:
    """Check question set FILE (written like config/questions/default.toml) and send it to SITE's kiosks
    on their next sync. Pictures must be ones built into the kiosk.

    Example: feedback-server questions set --site "Mile End" my-questions.toml
    """
    from sync.server.domain.site_content import set_question_set

    stored = set_question_set(open_database(db), site, file)
    click.echo(f"Question set {stored.id!r} version {stored.version} will go to the kiosks at {site!r} "
               "on their next sync.")


@cli.group("you-said-we-did")
def you_said_we_did() -> None:
    """What was done about feedback ("You said, we did"), shown on the kiosks at a site."""


@you_said_we_did.command("add")
@site_option
@click.option("--said", required=True, help="What people said, in plain English.")
@click.option("--did", required=True, help="What was done about it, in plain English.")
@click.option("--translation", "translations", nargs=3, multiple=True, metavar="LANG SAID DID", callback=_translations,
              help="The same words in another language the kiosks offer (bn for Bengali, ko for Korean): the "
                   "language, then what people said, then what was done. Give it once for each language. People "
                   "who choose a language see the item only if it has that language.")
@click.option("--picture", default="", help="A picture built into the kiosk, e.g. thumbs-up.")
@click.option("--date", "when", type=click.DateTime(formats=["%Y-%m-%d"]), help="When it was done, YYYY-MM-DD "
              "(default: today).")
@db_option
def add_item(site: str, said: str, did: str, translations: dict[str, Translation], picture: str, when: datetime | None,
             db: str) -> None:
    """Add a "You said, we did" item for SITE's kiosks (newest first, 20 at most are shown).

    Example: feedback-server you-said-we-did add --site "Mile End" --said "Too cold" --did "Heating fixed"

    \b
    Example in English, Bengali and Korean:
      feedback-server you-said-we-did add --site "Mile End" \\
        --said "It is too cold." --did "We fixed the heating." \\
        --translation bn "এখানে খুব ঠান্ডা।" "আমরা হিটিং ঠিক করেছি।" \\
        --translation ko "너무 추워요." "난방을 고쳤어요."
    """
    from sync.server.domain.site_content import add_you_said_we_did

    item = add_you_said_we_did(open_database(db), site, said, did, picture, when.date() if when else date.today(),
                               translations)
    click.echo(f"Added item {item} for {site!r}; kiosks there show it after their next sync.")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), required=True,
              help="csv or xlsx for a spreadsheet (one row per response); jsonl keeps everything.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write, for example feedback-2026-11.xlsx")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Only responses given on or after this date (kiosk clock, YYYY-MM-DD).")
@db_option
@time_detail_option
@redact_names_option
def export(fmt: str, out: Path, since: datetime | None, db: str, time_detail: str, redact_names: bool) -> None:
    """Copy every response from every kiosk into one file, with its site and kiosk.

    Example: feedback-server export --format xlsx --out all-feedback.xlsx --since 2026-10-01
    """
    from sync.server.domain.export import ServerSource

    check_export_folder(out)
    export_to_file(ServerSource(open_database(db, create=False)), fmt, out, since, time_detail, redact_names)


@cli.command()
@click.option("--older-than", "days", type=click.IntRange(1, MAX_KEEP_DAYS), required=True, metavar="DAYS",
              help="Forget responses the server received more than DAYS days ago.")
@click.option("--dry-run", is_flag=True, help="Only count what would be forgotten; delete nothing.")
@db_option
def forget(days: int, dry_run: bool, db: str) -> None:
    """Delete responses received more than DAYS days ago, as your retention policy asks.

    Responses in the safeguarding queue are kept however old until their concern is resolved on the
    dashboard; the queue's notes and history always stay. Kiosks, question sets and "You said, we did"
    items are never deleted. Kiosks delete their own copies after privacy.keep_sent_days. To do this every
    day, start the server with --keep-days instead.

    Example: feedback-server forget --older-than 730 --dry-run
    """
    from tqdm import tqdm

    from sync.server.domain.retention import forget_older_than

    engine = open_database(db, create=False)
    planned = forget_older_than(engine, days, dry_run=True)
    if dry_run:
        click.echo(f"Would forget {planned.forgotten} responses received more than {days} days ago, and keep "
                   f"{planned.kept_flagged} as old that are waiting in the safeguarding queue. Nothing was deleted.")
        return
    with tqdm(total=planned.forgotten, unit=" responses", disable=None, leave=False) as bar:
        done = forget_older_than(engine, days, progress=bar.update)
    click.echo(f"Forgot {done.forgotten} responses received more than {days} days ago. Kept "
               f"{done.kept_flagged} as old that are waiting in the safeguarding queue.")


@cli.command("demo-data")
@click.option("--responses", type=click.IntRange(1, 10_000_000), default=5000, show_default=True,
              help="How many invented sessions to store.")
@click.option("--site", "sites", multiple=True, default=["Mile End", "Bow", "Poplar"], show_default=True,
              callback=lambda _c, _p, v: [check_label("site", s) for s in v], help="A site; repeat for several.")
@click.option("--days", type=click.IntRange(1, 3660), default=365, show_default=True,
              help="Spread them over this many days up to today.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same answers.")
@db_option
def demo_data(responses: int, sites: list[str], days: int, seed: int, db: str) -> None:
    """Fill a NEW database with invented answers, to try the dashboard or measure it. Refuses a database
    that already holds answers, so real feedback is never mixed with invented feedback.

    Example: feedback-server demo-data --db /tmp/demo.db --responses 20000
    """
    from tqdm import tqdm

    from sync.server.domain.demo import generate
    from sync.server.storage.db import responses as responses_table

    engine = open_database(db)
    with engine.connect() as connection:
        if connection.execute(sa.select(responses_table.c.id).limit(1)).first() is not None:
            raise click.UsageError("this database already holds answers; give a new one with --db")
    logging.getLogger("sync.server.domain.batches").setLevel(logging.ERROR)  # not a line per invented concern
    with tqdm(total=responses, unit=" responses", disable=None, leave=False) as bar:
        stored = generate(engine, sites, responses, days=days, seed=seed, progress=bar.update)
    click.echo(f"Stored {stored} invented responses at {len(sites)} sites. Add yourself with "
               "`feedback-server staff add NAME --role admin`, start `feedback-server serve` and open /staff/.")


@cli.command()
@click.option("--site", "sites", multiple=True,
              help="The site the report is about, as the server names it, e.g. 'Mile End'. A monthly report needs "
                   "one; a quarterly report covers every site unless you give one or more.")
@click.option("--period", required=True, metavar="YYYY-MM|YYYY-QN",
              help="A month, e.g. 2026-10 for October 2026 (the monthly team report), or a quarter, e.g. 2026-Q3 for "
                   "July to September 2026 (the quarterly report across sites, for the forum and the Board).")
@click.option("--easy-read", is_flag=True,
              help="The Easy Read version of the quarterly report, for the service-user forum: large pictures, "
                   "short sentences, no percentages.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="pdf", show_default=True,
              help="pdf to print or send; html to open in a web browser (and print from there).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write, for example mile-end-2026-10.pdf")
@click.option("--suppress-below", envvar=SUPPRESS_BELOW_VARIABLE, type=click.IntRange(1, 100), default=SUPPRESS_BELOW,
              show_default=True, metavar="N",
              help=f"Any count below N reads \"fewer than N\", as on the dashboard. Also ${SUPPRESS_BELOW_VARIABLE}.")
@participation_option
@redact_names_option
@db_option
def report(sites: tuple[str, ...], period: str, easy_read: bool, fmt: str, out: Path, suppress_below: int,
           reference_mix: ReferenceMix, redact_names: bool, db: str) -> None:
    """Make a report as a PDF or a printable web page.

    For a month: the monthly team report for one site (how many answered and the trend, how they answered, the
    themes of what is working and not working, safeguarding concerns and the kiosks' health). For a quarter:
    the report across sites for the forum and the Board (answers and the Friends and Family Test at each site,
    themes, concerns, "You said, we did"); with --easy-read, its Easy Read version.

    Example: feedback-server report --site "Mile End" --period 2026-10 --format pdf --out mile-end-2026-10.pdf

    Example: feedback-server report --period 2026-Q3 --easy-read --out easy-read-2026-Q3.pdf
    """
    from tqdm import tqdm

    from sync.server.reports import monthly, quarterly
    from sync.server.reports.easy_read import easy_read_html
    from sync.server.reports.period import Month, parse_period
    from sync.server.reports.render import monthly_html, quarterly_html, write_report
    from sync.server.web.common import shown

    chosen = parse_period(period)
    if isinstance(chosen, Month) and easy_read:
        raise ReportError("The Easy Read version is of the quarterly report: give a quarter, like 2026-Q3.")
    if isinstance(chosen, Month) and len(sites) != 1:
        raise ReportError("A monthly report is for one site: give --site once, or give a quarter, like 2026-Q3, "
                          "for a report across sites.")
    check_export_folder(out)
    engine = open_database(db, create=False)
    if not isinstance(chosen, Month):
        with engine.connect() as connection:
            sites = quarterly.chosen_sites(connection, sites)
    steps = monthly.STEPS if isinstance(chosen, Month) else quarterly.steps(sites)
    with tqdm(total=len(steps) + 1, unit=" steps", disable=None, leave=False) as bar:

        def done(step: str) -> None:
            bar.set_description(step)
            bar.update()

        if isinstance(chosen, Month):
            gathered = monthly.gather_monthly(engine, sites[0], chosen, progress=done, reference_mix=reference_mix,
                                              suppress_below=suppress_below, redact_names=redact_names)
            html, counts, about = monthly_html(gathered, suppress_below), [gathered.responses], sites[0]
        else:
            board = quarterly.gather_quarterly(engine, sites, chosen, progress=done, redact_names=redact_names)
            html = (easy_read_html if easy_read else quarterly_html)(board, suppress_below)
            counts = [site.responses for site in board.sites]
            about = sites[0] if len(sites) == 1 else f"{len(sites)} sites"
        write_report(html, fmt, out)  # type: ignore[arg-type]
        done(f"wrote {fmt}")
    kind = "the Easy Read report" if easy_read else "the report"
    when = f"in {chosen.label}" if isinstance(chosen, Month) else f"from {chosen.label}"
    said = "nobody answered" if not sum(counts) else f"{shown(sum(counts), suppress_below)} responses"
    click.echo(f"Wrote {kind} for {about} {when} ({said}) to {out}")


@cli.group("staff")
def staff_group() -> None:
    """People who sign in to the dashboard (at /staff/ on the server): viewers, managers and admins."""


def _new_password() -> str:
    return click.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)


@staff_group.command("add")
@click.argument("name", callback=_label("staff name"))
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="viewer: reads the overview, themes and \"You said, we did\"; manager: also the safeguarding "
                   "queue, exports, question sets and writing \"You said, we did\"; admin: also staff and kiosks.")
@click.option("--site", "sites", multiple=True, callback=lambda _c, _p, v: [check_label("site", s) for s in v],
              help="A site this person may see; repeat for several.")
@click.option("--all-sites", is_flag=True, help="May see every site (admins always do).")
@db_option
def add_staff_command(name: str, role: str, sites: list[str], all_sites: bool, db: str) -> None:
    """Add a member of staff called NAME; asks for their password twice.

    Example: feedback-server staff add sam --role manager --site "Mile End"
    """
    from sync.server.domain.staff import add_staff

    add_staff(open_database(db), name, _new_password(), role, sites, all_sites=all_sites)  # type: ignore[arg-type]
    click.echo(f"{name} can now sign in to the dashboard as {'an' if role == 'admin' else 'a'} {role}.")


@staff_group.command("password")
@click.argument("name")
@db_option
def staff_password(name: str, db: str) -> None:
    """Set a new password for NAME (signs them out everywhere).

    Example: feedback-server staff password sam
    """
    from sync.server.domain.staff import set_password

    set_password(open_database(db, create=False), name, _new_password())
    click.echo(f"{name}'s password is changed; they are signed out everywhere.")


@staff_group.command("list")
@db_option
def staff_list(db: str) -> None:
    """Show everyone who can sign in, their role and sites.

    Example: feedback-server staff list
    """
    from sync.server.domain.staff import list_staff

    engine = open_database(db, create=False)
    with engine.connect() as connection:
        people = list_staff(connection)
    if not people:
        click.echo("No staff yet: feedback-server staff add NAME --role admin")
    for person in people:
        sites = "all sites" if person["all_sites"] else ", ".join(person["sites"])  # type: ignore[arg-type]
        click.echo(f"{person['name']:<24} {person['role']:<8} {sites}{'  (disabled)' if person['disabled'] else ''}")


cli.add_command(db_option(redact_names_option(reports_due)))  # its --db is the one every command has
cli.add_command(db_option(fft_return))
for _command in fft_codes.commands.values():
    db_option(_command)
cli.add_command(fft_codes)


def main() -> None:
    try:
        run_command(cli, plain_errors=(DatabaseSetupError, KioskError, ContentError, StaffError, ReportError,
                                                    FftCodesError))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
        click.echo(f"Error: cannot use the database: {reason}", err=True)
        sys.exit(1)
