"""The top themes of what people said was working and not working at a site in a period, for a report.

The same grouping as the dashboard's themes page (sync/server/themes.py, with staff names), limited to the
period's comments at the site, so the report and the page agree. Two things keep it cheap (docs/themes.md):

- each comment's vector is read from the dashboard's store (``comment_vectors``) or computed once and kept
  there (:func:`sync.server.theme_store.cached_encoder`), so a month the page has shown costs no encoding;
- the comments still to encode are encoded once per distinct text: short comments ("good", "the food is
  cold") recur, and the encoder is the cost (about 1.5 ms a comment on 2 cores; grouping 10,000 takes 1 s).

What a process cannot avoid is loading the encoder (about 10 s, mostly importing torch), which the
keywords that name a theme need even when every vector is kept. Without the ``learned`` extra a report has
no themes and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine

from sync.server.aggregates import Filters
from sync.server.theme_store import Encode, Side, as_comments, cached_encoder, load_comments, load_saved
from sync.server.themes import group_comments, minilm_encode

TOP_THEMES = 5
EXAMPLES = 2

@dataclass(frozen=True)
class ReportTheme:
    name: str
    comments: int
    examples: tuple[str, ...]
    """Up to :data:`EXAMPLES` typical comments, already scrubbed at ingest."""
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

def top_themes(engine: Engine, site: str, filters: Filters, side: Side, encode: Encode | None = None) -> SideThemes:
    """The period's comments on ``side`` at ``site``, grouped; raises ThemesUnavailable without the encoder."""
    with engine.connect() as connection:
        found = load_comments(connection, site, filters, side)
        saved = [theme for _, theme in load_saved(connection, site)]
    if not found:
        return SideThemes(0, [])
    encoder = cached_encoder(engine, found, once_per_text(encode or minilm_encode))
    themes = group_comments(as_comments(found), saved, encoder=encoder)
    return SideThemes(len(found), [ReportTheme(theme.name, len(theme.comment_ids), tuple(theme.examples[:EXAMPLES]),
                                               theme.named_by_staff)
                                   for theme in themes if not theme.is_other][:TOP_THEMES])
