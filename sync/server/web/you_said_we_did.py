"""'You said, we did': what the service did about feedback, written by managers, shown on the kiosks of
their sites after the next sync, and printed as an Easy Read poster for the noticeboard.

The poster follows Easy Read practice (Mencap, and the Department of Health's "Making written
information easier to understand"): a picture on the left of each idea, the words on the right, one
sentence to a line, large plain sans-serif type, high contrast, no italics or capitals for emphasis,
the date in words. Only the kiosks' built-in pictures can be chosen, since kiosks have nothing else.

An item is written in English, the dashboard's language, and may carry the same words in each other
language the kiosks offer: the built-in kiosk's languages with their own words (a ``messages.po`` in
config/languages/, today Bengali and Korean; sync/server/domain/languages.py), each named in its own script and in
English. Translations are optional, but a kiosk shows an item to someone who chose another language only in
that language, and leaves it out when it has none; the list page shows which languages each item has.
"Preview" shows the item in every language given before it is added. The poster is in English.
"""

from __future__ import annotations

import re
import textwrap
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from sync.core.plain_words import in_words
from sync.core.protocol import YOU_SAID_WE_DID_LANGUAGE, Translation
from sync.server.domain.languages import language_names, translation_languages
from sync.server.domain.site_content import (
    ITEMS_PER_UPDATE,
    MAX_ITEM_CHARACTERS,
    built_in_pictures,
    check_translations,
    check_you_said_we_did,
    delete_you_said_we_did,
    find_you_said_we_did,
    insert_you_said_we_did,
    list_you_said_we_did,
)
from sync.server.domain.staff import audit
from sync.server.web.common import BadRequest, check_site, chosen_site, render, sites_for
from sync.server.web.sessions import Signed, SignedIn, field, form_reader, needs

router = APIRouter()
PATH = "/you-said-we-did"
WRITE = 'add or remove "You said, we did" items'
DONE = {"added": "Added. The kiosks at this site show it after their next sync.",
        "removed": "Removed. The kiosks at this site stop showing it after their next sync."}
"""The confirmations a redirect may ask for (never text from the address bar)."""
MAX_REASON = 200
SAID_PICTURE = "speech-balloon"
DID_PICTURE = "done"
"""The poster's pictures for "You said" and, when the item has no picture of its own, "We did"."""
POSTER_ITEMS_PER_PAGE = 4
POSTER_PAGE_MM = 221
"""Room for items on an A4 page between the heading and the footer (223 mm), less a little to spare; this and
the sizes below were measured in Chromium from static/poster.css (24pt type, line height 1.2, 20 mm pictures)."""
POSTER_LINE_MM = 10.2
POSTER_PICTURE_MM = 20.5
POSTER_ITEM_MM = 14
"""An item's date line, padding and rule."""
POSTER_CHARACTERS_PER_LINE = 38
"""Noto Sans and Arial fit about 40 characters of 24pt on a line beside the pictures; wider fonts fewer."""
POSTER_SITE_BESIDE_HEADING = 11
"""A site's name this long or shorter fits beside the heading; a longer one goes on lines of its own below it,
taking room from the items."""
POSTER_PAGE_NUMBER_MM = 7.6
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")


def sentences(text: str) -> list[str]:
    """Each sentence (or line the writer started) on its own: Easy Read puts one idea on each line."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def _language(tag: str) -> dict[str, str]:
    english, own = language_names(tag)
    return {"tag": tag, "name": english, "own_name": own}


def _languages() -> list[dict[str, str]]:
    """The languages an item may be translated into, as the form and the list name them."""
    return [_language(tag) for tag in translation_languages()]


def _shown(item: dict[str, Any], position: int) -> dict[str, Any]:
    when = date.fromisoformat(item["date"])
    return {**item, "when": in_words(when), "month": in_words(when, with_day=False),
            "on_kiosks": position < ITEMS_PER_UPDATE,
            "languages": [_language(tag) for tag in sorted(item["translations"])],
            "untranslated": [language for language in _languages() if language["tag"] not in item["translations"]]}


def _list_page(request: Request, signed: Signed, *, status_code: int = 200, remove_problem: str = "",
               remove_item: int | None = None, typed_reason: str = "") -> Response:
    site = chosen_site(request, signed.member)
    with request.app.state.engine.connect() as connection:
        sites = sites_for(connection, signed.member)
        shown_sites = [site] if site else sites
        items = list_you_said_we_did(connection, shown_sites)
    groups = [{"site": name, "items": [_shown(item, position) for position, item in
                                       enumerate(item for item in items if item["site"] == name)]}
              for name in shown_sites]
    return render(request, "you_said_we_did.html", signed, status_code=status_code, title="You said, we did",
                  page="yswd", sites=sites, site=site, groups=groups, per_kiosk=ITEMS_PER_UPDATE,
                  done=DONE.get(request.query_params.get("done", ""), ""), remove_problem=remove_problem,
                  remove_item=remove_item, typed_reason=typed_reason)


@router.get(PATH)
def list_page(request: Request, signed: SignedIn) -> Response:
    return _list_page(request, signed)


def _add_form(request: Request, signed: Signed, values: dict[str, Any], problems: dict[str, str],
              status_code: int = 200, preview: list[dict[str, Any]] | None = None) -> Response:
    with request.app.state.engine.connect() as connection:
        sites = sites_for(connection, signed.member)
    return render(request, "you_said_we_did_add.html", signed, status_code=status_code,
                  title='Add a "You said, we did"', page="yswd", sites=sites, values=values, problems=problems,
                  pictures=built_in_pictures(), max_characters=MAX_ITEM_CHARACTERS, languages=_languages(),
                  preview=preview)


@router.get(f"{PATH}/add")
def add_page(request: Request, signed: Annotated[Signed, Depends(needs("manager", WRITE))]) -> Response:
    site = chosen_site(request, signed.member)
    typed = {f"{name}-{tag}": "" for tag in translation_languages() for name in ("said", "did")}
    return _add_form(request, signed, {"site": site, "said": "", "did": "", "date": date.today().isoformat(),
                                       "picture": None, **typed}, {})


def _back_to_list(site: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/staff{PATH}?{urlencode({'site': site, 'done': done})}", status_code=303)


def _translations(values: dict[str, Any]) -> dict[str, Translation]:
    """The languages given in the form: those with words in either box."""
    typed = {tag: Translation(said=values[f"said-{tag}"], did=values[f"did-{tag}"]) for tag in translation_languages()}
    return {tag: words for tag, words in typed.items() if words.said or words.did}


def _preview(values: dict[str, Any], translations: dict[str, Translation]) -> list[dict[str, Any]]:
    """The item as the kiosks show it: in English, then in each language given."""
    words = {YOU_SAID_WE_DID_LANGUAGE: Translation(said=values["said"], did=values["did"]), **translations}
    return [{**_language(tag), "said": text.said, "did": text.did} for tag, text in words.items()]


@router.post(f"{PATH}/add")
def add(request: Request,
        checked: Annotated[tuple[Signed, FormData], Depends(form_reader("manager", WRITE))]) -> Response:
    """Add the item, or with ``action=preview`` show it in every language given without adding it."""
    signed, form = checked
    action = field(form, "action") or "add"
    if action not in ("add", "preview"):
        raise BadRequest("Choose Preview or Add.")
    typed = [f"{name}-{tag}" for tag in translation_languages() for name in ("said", "did")]
    values: dict[str, Any] = {name: field(form, name) for name in ("site", "said", "did", "date", *typed)}
    # None when no picture was chosen at all; "" for "No picture" (the kiosk then shows a speech balloon)
    values["picture"] = field(form, "picture") if "picture" in form else None
    site = values["site"]
    problems: dict[str, str] = {}
    if not site:
        problems["site"] = "Choose the site whose kiosks should show this."
    else:
        check_site(signed.member, site)
        with request.app.state.engine.connect() as connection:
            if site not in sites_for(connection, signed.member):
                problems["site"] = "Choose one of the sites listed."
    when = date.today()
    try:
        when = date.fromisoformat(values["date"])
    except ValueError:
        problems["date"] = "Write the date as day, month and year, for example 2026-10-23."
    picture = values["picture"]
    if picture is None:
        problems["picture"] = 'Choose a picture, or "No picture".'
    found = check_you_said_we_did(values["said"], values["did"], picture or "", when, date.today())
    problems.update({name: message for name, message in found.items() if name not in problems})
    translations = _translations(values)
    problems.update(check_translations(translations))
    if not {"site", "said", "did"} & problems.keys() and not fits_a_poster_page(site, values["said"], values["did"]):
        longer = "said" if len(values["said"]) > len(values["did"]) else "did"
        problems[longer] = ('Together, "You said" and "We did" are too long for one page of the poster. '
                            f'Make "{"You said" if longer == "said" else "We did"}" shorter: use fewer, shorter '
                            "sentences.")
    if problems:
        ordered = {name: problems[name] for name in ("site", "said", "did", *typed, "date", "picture")
                   if name in problems}
        return _add_form(request, signed, values, ordered, status_code=400)
    if action == "preview":
        return _add_form(request, signed, values, {}, preview=_preview(values, translations))
    with request.app.state.engine.begin() as connection:
        item = insert_you_said_we_did(connection, site, values["said"], values["did"], picture or "", when,
                                      translations)
        audit(connection, signed.member.name, "added you-said-we-did", site, f"item {item}")
    return _back_to_list(site, "added")


@router.post(f"{PATH}/{{item_id}}/remove")
def remove(request: Request, item_id: str,
           checked: Annotated[tuple[Signed, FormData], Depends(form_reader("manager", WRITE))]) -> Response:
    """Delete the item for good (kiosks drop it at their next sync); the audit log keeps its id, site and why."""
    signed, form = checked
    if not item_id.isdigit() or len(item_id) > 12:
        raise BadRequest(f"{item_id!r} is not the number of an item.")
    engine = request.app.state.engine
    with engine.connect() as connection:
        item = find_you_said_we_did(connection, int(item_id))
    if item is None:
        return render(request, "error.html", signed, status_code=404, title="Already gone",
                      reason="That item is not there. Perhaps someone removed it already.")
    check_site(signed.member, item["site"])
    reason = " ".join(field(form, "reason").split())
    problem = ""
    if not reason:
        problem = "Say why you are removing it. This is kept in the audit log."
    elif len(reason) > MAX_REASON:
        problem = f"The reason has {len(reason)} characters; make it {MAX_REASON} or fewer."
    if problem:
        return _list_page(request, signed, status_code=400, remove_problem=problem, remove_item=item["id"],
                          typed_reason=reason)
    with engine.begin() as connection:
        if delete_you_said_we_did(connection, item["id"]):
            audit(connection, signed.member.name, "removed you-said-we-did", item["site"],
                  f"item {item['id']}; reason: {reason}")
    return _back_to_list(request.query_params.get("site", ""), "removed")


def _lines(label: str, text: str) -> int:
    """How many lines ``text`` takes on the poster, each sentence starting a line, the first after ``label``."""
    parts = sentences(text)
    parts[:1] = [f"{label} {part}" for part in parts[:1]]
    return sum(len(textwrap.wrap(part, POSTER_CHARACTERS_PER_LINE)) for part in parts)


def _item_mm(said: str, did: str) -> float:
    """How tall an item is on the poster: its date, then each row as tall as its words or its picture."""
    return POSTER_ITEM_MM + sum(max(POSTER_PICTURE_MM, POSTER_LINE_MM * _lines(label, text))
                                for label, text in (("You said:", said), ("We did:", did)))


def _long_site(site: str) -> bool:
    return len(site) > POSTER_SITE_BESIDE_HEADING


def _room_mm(site: str) -> float:
    """Room for items on a page: a site name too long to go beside the heading takes some."""
    if not _long_site(site):
        return POSTER_PAGE_MM
    site_lines = len(textwrap.wrap(site, POSTER_CHARACTERS_PER_LINE))
    return POSTER_PAGE_MM - POSTER_LINE_MM * site_lines - POSTER_PAGE_NUMBER_MM


def fits_a_poster_page(site: str, said: str, did: str) -> bool:
    return _item_mm(said, did) <= _room_mm(site)


def poster_pages(items: list[dict[str, Any]], site: str) -> list[list[dict[str, Any]]]:
    """Items shared out over pages in order: at most :data:`POSTER_ITEMS_PER_PAGE` to a page, fewer when their
    words are long, so that none is split over two pages."""
    room = _room_mm(site)
    pages: list[list[dict[str, Any]]] = []
    used = 0.0
    for item in items:
        size = _item_mm(item["said"], item["did"])
        if not pages or len(pages[-1]) == POSTER_ITEMS_PER_PAGE or used + size > room:
            pages.append([])
            used = 0
        pages[-1].append(item)
        used += size
    return pages


@router.get(f"{PATH}/poster")
def poster(request: Request, signed: SignedIn) -> Response:
    """An A4 Easy Read poster of a site's newest items, ready to print (its own stylesheet, static/poster.css)."""
    site = chosen_site(request, signed.member)
    if not site:
        raise BadRequest("Choose the site to make a poster for: open the poster from the "
                         '"You said, we did" page.')
    text = request.query_params.get("items", "").strip() or str(POSTER_ITEMS_PER_PAGE)
    if not text.isdigit() or not 1 <= int(text) <= ITEMS_PER_UPDATE:
        raise BadRequest(f"The number of items must be 1 to {ITEMS_PER_UPDATE}.")
    with request.app.state.engine.connect() as connection:
        items = list_you_said_we_did(connection, [site], limit=int(text))
    shown = [{**_shown(item, 0), "said_lines": sentences(item["said"]), "did_lines": sentences(item["did"]),
              "did_picture": item["picture"] or DID_PICTURE} for item in items]
    return render(request, "poster.html", signed, title=f"You said, we did: {site}", site=site,
                  pages=poster_pages(shown, site), long_site=_long_site(site), count=int(text),
                  said_picture=SAID_PICTURE,
                  choices=[(n, f"Newest {n}") for n in (4, 8, 12)] + [(ITEMS_PER_UPDATE, "All the kiosks show")])
