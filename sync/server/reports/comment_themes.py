"""The top themes of what people said was working and not working at a site in a period, for a report.

The same grouping as the dashboard's themes page (sync/server/domain/themes.py, with staff names), limited to the
period's comments at the site, so the report and the page agree. Two things keep it cheap (docs/themes.md):

- each comment's vector is read from the dashboard's store (``comment_vectors``) or computed once and kept
  there (:func:`sync.server.domain.theme_store.cached_encoder`), so a month the page has shown costs no encoding;
- the comments still to encode are encoded once per distinct text: short comments ("good", "the food is
  cold") recur, and the encoder is the cost (about 1.5 ms a comment on 2 cores; grouping 10,000 takes 1 s).

Themes are grouped on the comments as stored; with ``redact_names`` the names of people in the examples and theme
names read ``[name]`` (sync.core.privacy.redact_names), for a report that is published rather than kept in the team.

What a process cannot avoid is loading the encoder (about 10 s, mostly importing torch), which the
keywords that name a theme need even when every vector is kept. Without the ``learned`` extra a report has
no themes and says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine

from sync.core.privacy import redact_names as redacted
from sync.server.domain.aggregates import Filters
from sync.server.domain.theme_store import Encode, Side, as_comments, cached_encoder, load_comments, load_saved
from sync.server.domain.themes import Theme, group_comments, minilm_encode

TOP_THEMES = 5
EXAMPLES = 2
WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")

@dataclass(frozen=True)
class ReportTheme:
    name: str
    comments: int
    examples: tuple[str, ...]
    """Up to :data:`EXAMPLES` typical comments, already scrubbed at ingest (people's names redacted too when the
    report is made with ``redact_names``)."""
    named_by_staff: bool

@dataclass(frozen=True)
class SideThemes:
    comments: int
    """Every comment on this side in the period (those in no theme included)."""
    themes: list[ReportTheme]
    """The largest :data:`TOP_THEMES` themes, largest first; "Other comments" is not a theme."""

def once_per_text(encode: Encode) -> Encode:
    """``encode``, computing each distinct text once however often it appears."""

    def encode_distinct(texts: list[str]) -> np.ndarray:
        distinct = list(dict.fromkeys(texts))
        rows = np.asarray(encode(distinct), dtype=np.float32)
        index = {text: number for number, text in enumerate(distinct)}
        return rows[[index[text] for text in texts]] if texts else rows

    return encode_distinct

def _names_in(texts: Iterable[str]) -> frozenset[str]:
    """The words (lower case) that redact_names takes out of ``texts``: the names a theme's keywords may hold,
    such as a surname written after a first name ("smith · trevor · kind")."""
    return frozenset().union(*(_words_of(text) - _words_of(redacted(text)) for text in texts))


def _words_of(text: str) -> set[str]:
    return {word.casefold() for word in WORD.findall(text)}


def _as_published(theme: Theme, texts: dict[str, str], redact_names: bool) -> ReportTheme:
    """A theme as the report shows it: its name and examples, with people's names redacted when asked (the name's
    keywords too, when redacting the theme's comments takes them out)."""
    examples = tuple(theme.examples[:EXAMPLES])
    if not redact_names:
        return ReportTheme(theme.name, len(theme.comment_ids), examples, theme.named_by_staff)
    names = _names_in(texts[key] for key in theme.comment_ids)
    name = WORD.sub(lambda word: "[name]" if word[0].casefold() in names else word[0], redacted(theme.name))
    return ReportTheme(name, len(theme.comment_ids), tuple(map(redacted, examples)), theme.named_by_staff)

def top_themes(engine: Engine, site: str, filters: Filters, side: Side, encode: Encode | None = None,
               redact_names: bool = False) -> SideThemes:
    """The period's comments on ``side`` at ``site``, grouped; raises ThemesUnavailable without the encoder."""
    with engine.connect() as connection:
        found = load_comments(connection, site, filters, side)
        saved = [theme for _, theme in load_saved(connection, site)]
    if not found:
        return SideThemes(0, [])
    encoder = cached_encoder(engine, found, once_per_text(encode or minilm_encode))
    themes = [theme for theme in group_comments(as_comments(found), saved, encoder=encoder) if not theme.is_other]
    texts = {comment.key: comment.text for comment in found}
    return SideThemes(len(found), [_as_published(theme, texts, redact_names) for theme in themes[:TOP_THEMES]])
