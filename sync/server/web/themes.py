"""What is working and what is not working: a site's comments grouped into themes, which managers can
rename and merge ("Working Together for Change": gather, theme, agree actions).

A theme is found again by its name when a form is sent: the grouping is worked out afresh for the same
filters, so when new comments changed the themes in between, the page says so and shows the new ones
rather than renaming the wrong theme. Groupings are kept in memory for a few minutes per site, side,
period and set of staff names, so moving between pages does not group everything again.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from sync.server.domain.staff import audit
from sync.server.domain.theme_store import (
    SIDES,
    Side,
    as_comments,
    cached_encoder,
    forget_saved,
    load_comments,
    load_saved,
    save_theme,
)
from sync.server.domain.themes import OTHER, Theme, ThemesUnavailable, group_comments, merge, minilm_encode, rename
from sync.server.web.common import BadRequest, PageFilters, page_filters, render, shown
from sync.server.web.sessions import Signed, SignedIn, field, form_reader

router = APIRouter()
WHAT = "rename or merge themes"
KEEP_SECONDS = 600
KEPT = 32
DONE = {"renamed": "The theme is renamed. Comments like these will keep this name.",
        "merged": "The themes are merged under one name.",
        "forgotten": "The name is forgotten: those comments are grouped afresh.",
        "changed": "New comments changed the themes since the page was loaded; here they are again. Try once more."}
ThemeForm = Annotated[tuple[Signed, FormData], Depends(form_reader("manager", WHAT))]
_kept: dict[tuple[object, ...], tuple[float, list[Theme], dict[str, str]]] = {}
_kept_lock = threading.Lock()


def _side(request: Request) -> Side:
    side = request.query_params.get("side", "working")
    if side not in SIDES:
        raise BadRequest(f"Choose one of: {', '.join(SIDES)}.")
    return side  # type: ignore[return-value]


def _site(filters: PageFilters) -> str:
    """Themes are per site: the one chosen, or the first this person may see."""
    if filters.site:
        return filters.site
    if not filters.sites:
        raise BadRequest("You have no sites yet; ask an admin to give you one.")
    return filters.sites[0]


def _grouping(request: Request, site: str, filters: PageFilters, side: Side) -> tuple[list[Theme], dict[str, str]]:
    """The themes of the site's comments on ``side``, and each comment's text by its key."""
    engine = request.app.state.engine
    with engine.connect() as connection:
        found = load_comments(connection, site, filters.query, side)
        saved = load_saved(connection, site)
    key = (site, side, filters.query, tuple(comment.key for comment in found[-1:]), len(found),
           tuple(row_id for row_id, _ in saved))
    with _kept_lock:
        hit = _kept.get(key)
        if hit and time.monotonic() - hit[0] < KEEP_SECONDS:
            return hit[1], hit[2]
    themes = group_comments(as_comments(found), [theme for _, theme in saved],
                            encoder=cached_encoder(engine, found, minilm_encode))
    texts = {comment.key: comment.text for comment in found}
    with _kept_lock:
        if len(_kept) >= KEPT:
            _kept.pop(next(iter(_kept)))
        _kept[key] = (time.monotonic(), themes, texts)
    return themes, texts


@router.get("/themes")
async def themes_page(request: Request, signed: SignedIn) -> Response:
    side = _side(request)
    with request.app.state.engine.connect() as connection:
        filters = page_filters(request, connection, signed.member)
    site = _site(filters)
    try:
        themes, texts = await run_in_threadpool(_grouping, request, site, filters, side)
    except ThemesUnavailable as exc:
        return render(request, "themes.html", signed, title="Themes", page="themes", filters=filters, site=site,
                      side=side, sides=SIDES, unavailable=str(exc).capitalize() + ".", themes=[], total=0)
    suppress_below = request.app.state.suppress_below
    shown_themes = [{"theme": theme, "count": shown(len(theme.comment_ids), suppress_below),
                     "comments": [texts[key] for key in theme.comment_ids]} for theme in themes]
    return render(request, "themes.html", signed, title="Themes", page="themes", filters=filters, site=site,
                  side=side, sides=SIDES, themes=shown_themes, total=shown(len(texts), suppress_below),
                  done=DONE.get(request.query_params.get("done", ""), ""), other=OTHER,
                  query=urlencode({**filters.as_query(), "site": site, "side": side}))


def _back(request: Request, done: str) -> RedirectResponse:
    query = dict(request.query_params) | {"done": done}
    return RedirectResponse(f"/staff/themes?{urlencode(query)}", status_code=303)


def _chosen(themes: list[Theme], names: list[str]) -> list[Theme] | None:
    """The themes called ``names``, or None when one of them is no longer there."""
    by_name = {theme.name: theme for theme in themes}
    return [by_name[name] for name in names] if all(name in by_name for name in names) else None


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{row_id}" for row_id in ids)


@router.post("/themes")
async def change_themes(request: Request, checked: ThemeForm) -> Response:
    signed, form = checked
    side = _side(request)
    engine = request.app.state.engine
    with engine.connect() as connection:
        filters = page_filters(request, connection, signed.member)
        saved = load_saved(connection, _site(filters))
    site = _site(filters)
    action, new_name = field(form, "action"), field(form, "name")[:100]
    names = [str(name) for name in form.getlist("theme")]
    if action == "forget":
        with engine.begin() as connection:
            if forgotten := forget_saved(connection, site, field(form, "theme")):
                audit(connection, signed.member.name, "theme-forgotten", site, _ids(forgotten))
        return _back(request, "forgotten")
    if action not in ("rename", "merge"):
        raise BadRequest("Choose rename or merge.")
    if not new_name or new_name == OTHER:
        raise BadRequest(f"Give the theme a name (not \"{OTHER}\").")
    if action == "merge" and len(names) < 2:
        raise BadRequest("Tick two or more themes to merge.")
    themes, _texts = await run_in_threadpool(_grouping, request, site, filters, side)
    chosen = _chosen(themes, names[:1] if action == "rename" else names)
    if not chosen:
        return _back(request, "changed")
    try:
        kept = rename(chosen[0], new_name) if action == "rename" else merge(chosen, new_name)
    except ValueError as exc:
        raise BadRequest(str(exc).capitalize() + ".") from None
    replaces = [row_id for row_id, theme in saved if theme.name in {t.name for t in chosen if t.named_by_staff}]
    with engine.begin() as connection:
        saved_id = save_theme(connection, site, kept, signed.member.name, replaces)
        # ids, never names: a theme's name is made of the words of the comments in it
        audit(connection, signed.member.name, f"theme-{action}d", site,
              f"{len(chosen)} theme{'s' if len(chosen) > 1 else ''}"
              + (f" (saved {_ids(replaces)})" if replaces else "") + f" → saved {_ids([saved_id])}")
    return _back(request, "renamed" if action == "rename" else "merged")

