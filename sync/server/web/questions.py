"""Question sets: what each site's kiosks ask. A manager uploads a set's TOML file or edits it on the page,
sees it as the kiosk will show it (in every language it carries), and publishes it; the kiosks get it at
their next sync. Every version is kept and none is ever changed, since stored answers refer to a set by its
id and version (sync/server/domain/site_content.py checks both with the kiosk's own rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.engine import Connection, Row
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from sync.core.config_files import ConfigError, line_index
from sync.core.questions import QuestionSet, base_language
from sync.server.domain.languages import language_names
from sync.server.domain.site_content import (
    ContentError,
    VersionTaken,
    built_in_pictures,
    built_in_question_sets,
    check_question_set,
    publish_question_set,
)
from sync.server.domain.staff import StaffMember
from sync.server.domain.timestamps import as_utc
from sync.server.storage.db import audit_log, question_sets
from sync.server.web.common import BadRequest, check_site, render, sites_for, when
from sync.server.web.sessions import NotAllowed, Signed, field, form_reader, needs

router = APIRouter()
PATH = "/questions"
WHAT = "change question sets"
MAX_BYTES = 200_000
"""The largest set accepted: the built-in default, with two translations, is about 8 KB."""
MAX_REQUEST_BYTES = 2_000_000
"""The largest form :data:`EDIT` and :data:`UPLOAD` take, refused before it is read (sync/server/api/body_limit.py): a
set at :data:`MAX_BYTES`, in Bengali, is about 1.8 MB as a typed form."""
TYPED = "the question set"
"""What messages call a set typed into the page (an uploaded one is called by its file name)."""
EDIT = f"{PATH}/edit"
UPLOAD = f"{PATH}/upload"
DEFAULT_SET = "default"
PUBLISHED = "question-set-published"

Manager = Annotated[Signed, Depends(needs("manager", WHAT))]
ManagerForm = Annotated[tuple[Signed, FormData], Depends(form_reader("manager", WHAT))]


# --- sites -----------------------------------------------------------------------------------------------


def _checked_site(connection: Connection, member: StaffMember, site: str) -> str:
    """``site`` if ``member`` may change its questions; refused (403) before saying whether it exists."""
    site = site.strip()
    if not site:
        raise BadRequest("Choose a site first.")
    check_site(member, site)
    if site not in sites_for(connection, member):
        raise BadRequest(f"There is no site called {site!r}. A site appears here once a kiosk is enrolled there.")
    return site


def _newest(connection: Connection, site: str) -> Row[Any] | None:
    """The set the site's kiosks get now (the newest stored; as in site_content.updates_for_site)."""
    return connection.execute(
        sa.select(question_sets).where(question_sets.c.site == site).order_by(question_sets.c.id.desc()).limit(1)
    ).first()


# --- what went wrong, in plain words ---------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """A reason a set cannot be used, as the page shows it."""

    sentence: str
    line: int | None = None
    line_text: str = ""
    """The line as written, so it can be found in a long text without line numbers."""
    field: str | None = None


_PLAIN_PARTS = {"questions": "question", "answers": "answer", "translations": "translation"}
_PLAIN_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^String should have at most (\d+) characters?$"), r"is too long: it can have at most \1 characters"),
    (re.compile(r"^String should have at least 1 character$"), "is empty: write some words"),
    (re.compile(r"^String should match pattern .*$"), "may use only small letters a to z, numbers, - and _, and must "
                                                      "start with a letter or number"),
    (re.compile(r"^Input should be a valid integer.*$"), "must be a whole number, such as 2, without quotation marks"),
    (re.compile(r"^Input should be greater than or equal to 1$"), "must be 1 or more"),
    (re.compile(r"^Input should be a valid string$"), 'must be words in quotation marks, such as "Good"'),
    (re.compile(r"^Input should be (.*)$"), r"should be \1"),
]


def plain_field(name: str) -> str:
    """``questions[2].answers[1].picture`` as "question 2, answer 1, picture"."""
    parts = []
    for part in name.split("."):
        found = re.fullmatch(r"(.+?)\[(\d+)\]", part)
        parts.append(f"{_PLAIN_PARTS.get(found[1], found[1])} {found[2]}" if found else _PLAIN_PARTS.get(part, part))
    return ", ".join(parts)


def _plain_reason(reason: str, field: str | None) -> str:
    last = field.split(".")[-1] if field else ""
    if reason == "is required but missing":
        example = "1" if last == "version" else '"…"'
        return f"“{last}” is missing: add a line such as {last} = {example}" if last else "something needed is missing"
    if reason.startswith("is not a known setting"):
        return f"“{last}” is not something a question set can have: check its spelling"
    if reason.startswith("is not valid TOML: "):
        return (f"this is not written the way a question set must be ({reason.removeprefix('is not valid TOML: ')}). "
                "Check the quotation marks, the = signs and the [[brackets]]")
    if reason.startswith("no picture named "):
        return (f"there is no picture called {reason.removeprefix('no picture named ').split(' (')[0]}. "
                "Choose one from “Pictures you can use” below")
    if reason.startswith("is not UTF-8 text"):
        return "the text is not UTF-8. Save it as UTF-8 in your text editor and try again"
    for pattern, replacement in _PLAIN_REASONS:
        if pattern.match(reason):
            return f"it {pattern.sub(replacement, reason)}" if field else pattern.sub(replacement, reason)
    return reason


def explain(error: ConfigError, text: str, *, file_name: str | None = None) -> Problem:
    """A kiosk's ConfigError about ``text`` as a sentence for a care manager: where, and what to change."""
    where = []
    if file_name:
        where.append(f"In the file {file_name}")
    if error.line:
        where.append(f"{'on' if where else 'On'} line {error.line}")
    if error.field:
        plain = plain_field(error.field)
        where.append(f"{'at' if where else 'At'} " + (f"{plain} ({error.field})" if plain != error.field
                                                       else f"“{error.field}”"))
    reason = _plain_reason(error.reason, error.field)
    sentence = f"{' '.join(where)}: {reason}." if where else f"{reason[:1].upper()}{reason[1:]}."
    lines = text.splitlines()
    line_text = lines[error.line - 1].strip() if error.line and error.line <= len(lines) else ""
    return Problem(sentence=sentence, line=error.line, line_text=line_text[:300], field=error.field)


@dataclass(frozen=True)
class Clash:
    """A set's id and version that already name other words, and the version to use instead."""

    sentence: str
    next_free: int


def explain_clash(error: VersionTaken, site: str) -> Clash:
    where = "is built into every kiosk" if error.built_in else f"was already sent to the kiosks at {site}"
    return Clash(sentence=f"Version {error.version} of the question set “{error.set_id}” {where} with other words. "
                          "Answers are stored with the set's id and version, so changed words need a new version "
                          f"number: raise “version” to {error.next_free}.", next_free=error.next_free)


def with_version(text: str, version: int) -> str:
    """``text`` with its top-level ``version = N`` line saying ``version`` instead."""
    number = line_index(text).get(("version",))
    if number is None:
        return text
    lines = text.splitlines(keepends=True)  # split as line_index counts
    lines[number - 1] = re.sub(r"=\s*[^\s#]+", f"= {version}", lines[number - 1], count=1)
    return "".join(lines)


# --- the preview -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LanguageView:
    """The set as someone who chose one language sees it."""

    tag: str
    name: str
    """In English, for staff."""
    own_name: str
    """In the language itself, as the kiosk's language screen shows it."""
    qset: QuestionSet
    missing: list[str] = dataclass_field(default_factory=list)


def languages_of(qset: QuestionSet) -> list[LanguageView]:
    """The set in its own language, then in each language it carries translations for."""
    items = [qset, *qset.questions, *(answer for question in qset.questions for answer in question.answers)]
    own = base_language(qset.language)
    tags = sorted({tag for item in items for tag in item.translations if base_language(tag) != own})
    views = []
    for tag in [qset.language, *tags]:
        shown, gaps = qset.in_language(tag)
        views.append(LanguageView(tag, *language_names(tag), qset=shown, missing=gaps.missing))
    return views


def picture_url(name: str) -> str:
    """Where the dashboard serves a built-in picture named as a question set names it."""
    return "/staff/pictures/" + quote(name if name.endswith(".png") else f"{name}.png")


# --- pages -----------------------------------------------------------------------------------------------

def _back(site: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/staff{PATH}?{urlencode({'done': done, 'site': site})}", status_code=303)


@router.get(PATH)
def list_page(request: Request, signed: Manager) -> Response:
    with request.app.state.engine.connect() as connection:
        sites = sites_for(connection, signed.member)
        rows = []
        for site in sites:
            count = connection.execute(sa.select(sa.func.count()).where(question_sets.c.site == site)).scalar()
            rows.append({"site": site, "current": _newest(connection, site), "versions": count})
        done = ""
        site = request.query_params.get("site", "")
        newest = _newest(connection, site) if site in sites else None
        if newest is not None and request.query_params.get("done") == "published":
            done = (f"Published “{newest.set_id}” version {newest.version}. "
                    f"Kiosks at {site} will show it after their next sync.")
        elif newest is not None and request.query_params.get("done") == "unchanged":
            done = (f"Nothing changed: the kiosks at {site} already get “{newest.set_id}” version {newest.version}, "
                    "word for word.")
    return render(request, "questions.html", signed, title="Question sets", page="questions", rows=rows, done=done,
                  default_set=DEFAULT_SET)


def _edit_page(request: Request, signed: Signed, site: str, text: str, *, status_code: int = 200,
               problems: list[Problem] | None = None, clash: Clash | None = None,
               preview: list[LanguageView] | None = None, note: str = "") -> Response:
    with request.app.state.engine.connect() as connection:
        current = _newest(connection, site)
    return render(request, "questions_edit.html", signed, status_code=status_code, title=f"Question set at {site}",
                  page="questions", site=site, text=text, current=current, problems=problems or [], clash=clash,
                  preview=preview, note=note, pictures=built_in_pictures(), picture=picture_url,
                  built_ins=sorted(built_in_question_sets()), max_kb=MAX_BYTES // 1000)


@router.get(f"{PATH}/edit")
def edit_page(request: Request, signed: Manager) -> Response:
    """The site's set in an editor: the one its kiosks get now, or another to start from."""
    start = request.query_params.get("from", "").strip()
    built_in = request.query_params.get("built_in", "").strip()
    with request.app.state.engine.connect() as connection:
        site = _checked_site(connection, signed.member, request.query_params.get("site", ""))
        current = _newest(connection, site)
        if start:
            row = _stored(connection, signed.member, start)
            text = row.toml
        elif built_in or current is None:
            sets = built_in_question_sets()
            if (built_in or DEFAULT_SET) not in sets:
                raise BadRequest(f"The kiosk has no built-in question set called {built_in!r}.")
            text = sets[built_in or DEFAULT_SET]
        else:
            text = current.toml
    return _edit_page(request, signed, site, text)


def _act(request: Request, signed: Signed, site: str, text: str, *, action: str, name: str,
         use_version: str = "") -> Response:
    """Preview or publish ``text`` (called ``name`` in messages) for ``site``."""
    text = text.replace("\r\n", "\n")
    file_name = None if name == TYPED else name
    if use_version:
        if not use_version.isdigit() or not 1 <= int(use_version) <= 1_000_000_000:
            raise BadRequest("The version to publish as must be a whole number of 1 or more.")
        text = with_version(text, int(use_version))
        action = action or "publish"
    if len(text.encode("utf-8")) > MAX_BYTES:
        return _edit_page(request, signed, site, text, status_code=400, problems=[Problem(
            f"This question set is larger than {MAX_BYTES // 1000} KB; a question set is a short text. "
            "Check nothing was pasted twice.")])
    if action == "preview":
        try:
            qset = check_question_set(text, name)
        except ConfigError as exc:
            return _edit_page(request, signed, site, text, status_code=400,
                              problems=[explain(exc, text, file_name=file_name)])
        return _edit_page(request, signed, site, text, preview=languages_of(qset),
                          note="Not published yet: this is a preview. Publish it when it looks right.")
    if action != "publish":
        raise BadRequest("Choose Preview or Publish.")
    with request.app.state.engine.connect() as connection:
        current = _newest(connection, site)
    if current is not None and current.toml == text:
        return _back(site, "unchanged")
    try:
        publish_question_set(request.app.state.engine, site, text, name, staff=signed.member.name)
    except ConfigError as exc:
        return _edit_page(request, signed, site, text, status_code=400,
                          problems=[explain(exc, text, file_name=file_name)])
    except VersionTaken as exc:
        return _edit_page(request, signed, site, text, status_code=400, clash=explain_clash(exc, site))
    except ContentError as exc:
        return _edit_page(request, signed, site, text, status_code=400, problems=[Problem(f"{exc}.")])
    return _back(site, "published")


@router.post(EDIT)
def edit(request: Request, sent: ManagerForm) -> Response:
    signed, form = sent
    with request.app.state.engine.connect() as connection:
        site = _checked_site(connection, signed.member, field(form, "site"))
    typed = form.get("text")
    return _act(request, signed, site, typed if isinstance(typed, str) else "", action=field(form, "action"),
                name=TYPED, use_version=field(form, "use_version"))


def file_name(sent: str) -> str:
    """The uploaded file's own name, without the folders some browsers send, safe to show."""
    name = "".join(ch for ch in re.split(r"[\\/]", sent)[-1] if ch.isprintable()).strip()
    return name[:100] or "the file"


@router.post(UPLOAD)
def upload(request: Request, sent: ManagerForm) -> Response:
    signed, form = sent
    with request.app.state.engine.connect() as connection:
        site = _checked_site(connection, signed.member, field(form, "site"))
        current = _newest(connection, site)
    fallback = current.toml if current is not None else built_in_question_sets()[DEFAULT_SET]
    sent_file = form.get("file")
    if not isinstance(sent_file, UploadFile) or not sent_file.filename:
        return _edit_page(request, signed, site, fallback, status_code=400,
                          problems=[Problem("Choose a question set file (.toml) to upload first.")])
    name = file_name(sent_file.filename)
    data = sent_file.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return _edit_page(request, signed, site, fallback, status_code=400, problems=[Problem(
            f"The file {name} is larger than {MAX_BYTES // 1000} KB, so it cannot be a question set "
            "(they are short text files). Check you chose the right file.")])
    try:
        text = data.decode("utf-8-sig")  # Windows Notepad starts UTF-8 files with a byte-order mark
    except UnicodeDecodeError as exc:
        return _edit_page(request, signed, site, fallback, status_code=400, problems=[Problem(
            f"The file {name} is not UTF-8 text (byte {exc.start + 1} is not UTF-8). It may be a Word document, or "
            "text saved in another encoding: open it in a text editor, save it as “UTF-8”, and upload it again.")])
    if not text.strip():
        return _edit_page(request, signed, site, fallback, status_code=400,
                          problems=[Problem(f"The file {name} is empty.")])
    return _act(request, signed, site, text, action=field(form, "action") or "publish", name=name)


def _stored(connection: Connection, member: StaffMember, version_id: str | int) -> Row[Any]:
    """A stored version, if ``member`` may see its site."""
    if not str(version_id).isdigit():
        raise BadRequest("That is not the number of a stored question set.")
    row = connection.execute(sa.select(question_sets).where(question_sets.c.id == int(version_id))).first()
    if row is None:
        raise BadRequest("There is no stored question set with that number.")
    if not member.may_see(row.site):
        raise NotAllowed("That question set belongs to a site you do not have access to.")
    return row


def history_of(connection: Connection, site: str) -> list[dict[str, Any]]:
    """Every version stored for ``site``, newest first, with who published it (from the audit log; sets
    stored from the server's command line have no name)."""
    rows = connection.execute(sa.select(question_sets.c.id, question_sets.c.set_id, question_sets.c.version,
                                        question_sets.c.created_at)
                              .where(question_sets.c.site == site).order_by(question_sets.c.id.desc())).all()
    entries = connection.execute(sa.select(audit_log.c.id, audit_log.c.at, audit_log.c.staff, audit_log.c.detail)
                                 .where(audit_log.c.action == PUBLISHED, audit_log.c.site == site)).all()
    used: set[int] = set()
    history = []
    for row in rows:
        stored_at = as_utc(row.created_at)
        # written in the same transaction, just after the set: the nearest entry for it not yet claimed
        candidates = [entry for entry in entries if entry.id not in used
                      and entry.detail == f"{row.set_id} v{row.version}"
                      and timedelta(0) <= as_utc(entry.at) - stored_at <= timedelta(minutes=1)]
        entry = min(candidates, key=lambda entry: as_utc(entry.at) - stored_at, default=None)
        if entry is not None:
            used.add(entry.id)
        history.append({"id": row.id, "set_id": row.set_id, "version": row.version, "stored_at": when(stored_at),
                        "by": entry.staff if entry is not None else None})
    return history


@router.get(f"{PATH}/history")
def history_page(request: Request, signed: Manager) -> Response:
    with request.app.state.engine.connect() as connection:
        site = _checked_site(connection, signed.member, request.query_params.get("site", ""))
        history = history_of(connection, site)
    return render(request, "questions_history.html", signed, title=f"Question sets at {site}: history",
                  page="questions", site=site, history=history, default_set=DEFAULT_SET)


def _preview_or_problem(text: str, name: str) -> tuple[list[LanguageView] | None, list[Problem]]:
    try:
        return languages_of(check_question_set(text, name)), []
    except ConfigError as exc:  # e.g. a picture the kiosks no longer have
        return None, [explain(exc, text)]


@router.get(PATH + "/versions/{version_id}")
def version_page(request: Request, signed: Manager, version_id: str) -> Response:
    """One stored version as the kiosk shows it, with its text. Stored versions never change."""
    with request.app.state.engine.connect() as connection:
        row = _stored(connection, signed.member, version_id)
        newest = _newest(connection, row.site)
        by = next((entry["by"] for entry in history_of(connection, row.site) if entry["id"] == row.id), None)
    preview, problems = _preview_or_problem(row.toml, f"version {row.version}")
    return render(request, "questions_version.html", signed, title=f"“{row.set_id}” version {row.version}",
                  page="questions", row=row, site=row.site, stored_at=when(row.created_at), by=by,
                  is_current=newest is not None and newest.id == row.id, preview=preview, problems=problems,
                  picture=picture_url, built_in=None)


@router.get(PATH + "/versions/{version_id}/download")
def download(request: Request, signed: Manager, version_id: str) -> Response:
    """A stored version's TOML, to edit in a text editor and upload again."""
    with request.app.state.engine.connect() as connection:
        row = _stored(connection, signed.member, version_id)
    return Response(row.toml, media_type="text/plain; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{row.set_id}-v{row.version}.toml"'})


@router.get(PATH + "/built-in/{name}")
def built_in_page(request: Request, signed: Manager, name: str) -> Response:
    """A set built into every kiosk, shown at sites that have not been sent one of their own."""
    sets = built_in_question_sets()
    if name not in sets:
        raise BadRequest(f"The kiosk has no built-in question set called {name!r}.")
    preview, problems = _preview_or_problem(sets[name], f"{name}.toml")
    with request.app.state.engine.connect() as connection:
        sites = sites_for(connection, signed.member)
    return render(request, "questions_version.html", signed, title=f"The kiosk's built-in “{name}” set",
                  page="questions", row=None, built_in=name, text=sets[name], sites=sites, preview=preview,
                  problems=problems, picture=picture_url)
