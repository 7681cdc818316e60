"""Free-text answers grouped into themes for the staff dashboard (issue 7).

Why: "Working Together for Change" asks staff to read what people said is working and not working, find the
themes that come up again and again, and act on the biggest. Reading hundreds of comments by hand is where that
practice stalls, so the server proposes the themes and staff correct them: they rename a theme, merge two, and
read example comments of each. Their names persist from one period to the next.

How (docs/themes.md has the measurements behind each number):

1. Each comment becomes a normalised all-MiniLM-L6-v2 sentence embedding (384 numbers), through the encoder the
   learned concern reader already shares (:data:`sync.core.privacy.learned.SHARED_ENCODER`): one model per process.
   Comments with similar meaning are close whatever their words; the cosine similarity is a dot product.
2. Staff themes first: a comment whose cosine to a saved theme's centroid is at least :data:`SAVED_JOIN` joins
   the nearest such theme and keeps the staff's name. A merged theme is a saved theme with several centroids.
3. The rest are clustered by average linkage (UPGMA) on cosine: the two groups whose comments are on average
   most similar merge, until no two groups are more alike than comments in general by :data:`MERGE_MARGIN`.
   The average similarity between two groups is the dot product of their mean vectors, so only the means are
   kept: no matrix of comments by comments. Above :data:`DIRECT_LIMIT` comments, spherical k-means first packs
   them into that many small groups that the linkage then merges (exact average linkage between unions of those
   groups).
   The comments that joined a staff theme take part as one group per theme, so that a group on its subject
   joins it rather than stands beside it, but two staff themes never merge.
4. A re-assignment pass moves each of the other comments to the centroid nearest to it (the linkage never undoes
   a merge), or to "Other comments" when no centroid is within :data:`MEMBER_FLOOR`; groups of fewer than
   :data:`MIN_THEME_SIZE` comments go to "Other comments" too.
5. Names: the most distinctive words of each theme by class-based TF-IDF (frequent in this theme, rare in the
   others; no stopwords or scrub placeholders), ordered by how close each word's own embedding is to the theme's
   centroid, such as "meal · dinner · breakfast".

The server needs numpy alone for this (scikit-learn is only a test dependency) and the encoder from the
``learned`` extra; without it :func:`group_comments` raises :class:`ThemesUnavailable`. English model: comments
in other languages are grouped poorly. Texts are never logged.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sync.core.privacy import learned

log = logging.getLogger(__name__)

OTHER = "Other comments"
"""The theme of comments that fit no group; always last."""
SAVED_JOIN = 0.40
"""Cosine to a saved theme's centroid at or above which a comment joins it directly. In the test corpus, 72 % of
the comments on a subject are this close to the centroid of the other comments on it, and 7.5 % are this close to
another subject's centroid and nearer to it than to their own (with every subject saved); 0.45 gives 62 % and
3 %, 0.35 gives 90 % and 12 %. A comment that misses it can still reach the staff theme through the linkage."""
MERGE_MARGIN = 0.06
"""Average-linkage stop: two groups merge while the average cosine between their comments exceeds the average
cosine of all pairs of comments being grouped by at least this much, that is while they are clearly more alike
than comments in general. In the test corpus the average of all pairs is 0.14, so groups merge down to 0.20;
pairs on the same subject average 0.22-0.38, on different subjects 0.07-0.19. Relative, because text that shares
much wording is more alike throughout: on the bench's template-made comments the average of all pairs is 0.23
and a fixed 0.20 put 70 % of them in one theme."""
MEMBER_FLOOR = 0.30
"""A comment whose cosine to every theme centroid is below this fits no theme ("Other comments"). In the test
corpus 95 % of the comments have a cosine of at least 0.31 to the centroid of the others on their subject."""
MIN_THEME_SIZE = 3
"""Fewer comments than this are not a theme: they go to "Other comments"."""
DIRECT_LIMIT = 512
"""Up to this many comments are linked one by one; above it, k-means first packs them into this many groups."""
KMEANS_ROUNDS = 5
BLOCK_ROWS = 4096
"""Comments compared with the centroids at a time: 4096 by 512 float32 similarities are 8 MB."""
NAME_WORDS = 3
KEYWORDS = 6
KEYWORD_CANDIDATES = 10
EXAMPLES = 3
DECIMALS = 4
"""Centroids are kept to 4 decimals: a 384-number centroid is about 2.9 kB of JSON, and a cosine changes by less
than 0.001."""
SEED = 0
INSTALL = "pip install 'feedback-kiosk[learned]'"

Encode = Callable[[list[str]], np.ndarray]
"""Texts to one normalised embedding row each."""
Vector = tuple[float, ...]

PLACEHOLDER = re.compile(r"\[[a-z-]+\]")
WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
STOPWORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "aren't", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "can't",
    "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during",
    "each", "even", "ever", "every", "few", "for", "from", "further", "get", "gets", "getting", "got", "had", "hadn't",
    "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he's", "her", "here", "here's", "hers", "herself",
    "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't",
    "it", "it's", "its", "itself", "just", "let's", "like", "lot", "lots", "me", "more", "most", "much", "must",
    "mustn't", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "ought",
    "our", "ours", "ourselves", "out", "over", "own", "really", "same", "shan't", "she", "she'd", "she'll", "she's",
    "should", "shouldn't", "so", "some", "still", "such", "than", "thank", "thanks", "that", "that's", "the", "their",
    "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're",
    "they've", "thing", "things", "this", "those", "though", "through", "to", "too", "under", "until", "up", "upon",
    "us", "very", "was", "wasn't", "way", "we", "we'd", "we'll", "we're", "we've", "well", "were", "weren't", "what",
    "what's", "when", "when's", "where", "where's", "which", "while", "who", "who's", "whom", "why", "why's", "will",
    "with", "won't", "would", "wouldn't", "yes", "yet", "you", "you'd", "you'll", "you're", "you've", "your", "yours",
    "yourself", "yourselves"
})
"""Common English words that say nothing about a subject (placeholders are removed before these)."""


class ThemesUnavailable(RuntimeError):
    """The sentence encoder is not installed or cannot run, so comments cannot be grouped."""


@dataclass(frozen=True)
class Comment:
    """One free-text answer, already scrubbed."""

    id: str
    text: str


@dataclass(frozen=True)
class SavedTheme:
    """A theme staff named, as the server keeps it between recomputations (JSON: :func:`saved_theme_to_json`).

    A rename keeps the theme's centroid under the new name; a merge keeps the centroids of every merged theme
    under one name."""

    name: str
    centroids: tuple[Vector, ...]


@dataclass
class Theme:
    """One theme of a grouping: what the dashboard shows."""

    name: str
    named_by_staff: bool
    comment_ids: list[str]
    """Every comment of the theme, the nearest to the centroid first."""
    examples: list[str]
    """Up to 3 different texts, the nearest to the centroid first."""
    centroid: Vector
    """The normalised mean of the comments' embeddings."""
    keywords: list[str]
    """The most distinctive words, most distinctive first."""
    saved_centroids: tuple[Vector, ...] = ()
    """The staff theme's own centroids (empty for a proposed theme): a rename or merge keeps them, so that a
    theme merged once stays merged."""

    @property
    def is_other(self) -> bool:
        return self.name == OTHER and not self.named_by_staff

    @property
    def anchors(self) -> tuple[Vector, ...]:
        """The centroids a saved theme made from this one keeps."""
        return self.saved_centroids or (self.centroid,)


def minilm_encode(texts: list[str]) -> np.ndarray:
    """The default encoder: all-MiniLM-L6-v2, loaded once per process and shared with the concern reader."""
    if not learned.available():
        raise ThemesUnavailable(f"grouping comments into themes needs the sentence encoder: {INSTALL}")
    rows = learned.SHARED_ENCODER.embed(texts)
    if rows is None:
        raise ThemesUnavailable("the sentence encoder could not be loaded or run: the server log says why")
    return rows


def group_comments(comments: Sequence[Comment], saved: Sequence[SavedTheme] = (), *,
                   encoder: Encode | None = None) -> list[Theme]:
    """Every comment in exactly one theme: staff themes and proposed ones, largest first, then "Other comments".

    ``encoder`` defaults to :func:`minilm_encode`; the bench and tests pass one they already loaded. Raises
    :class:`ThemesUnavailable` without the encoder, ValueError on repeated ids or saved centroids of another size.
    """
    if not comments:
        return []
    if len({comment.id for comment in comments}) != len(comments):
        raise ValueError("two comments have the same id")
    encode = encoder or minilm_encode
    started = time.perf_counter()
    vectors = _embed([comment.text for comment in comments], encode)
    embedded = time.perf_counter()
    names, anchors, owner = _saved_anchors(saved, vectors.shape[1])
    labels = np.full(len(comments), -1)
    if anchors:
        nearest, similarity = _nearest(vectors, np.asarray(anchors, dtype=np.float32))
        joined = similarity >= SAVED_JOIN
        labels[joined] = owner[nearest[joined]]
    labels = _cluster(vectors, labels, len(names))
    themes = _themes(comments, vectors, labels, names, anchors, owner, encode)
    log.info("grouped %d comments into %d themes (%d named by staff): embedding %.1f s, the rest %.1f s",
             len(comments), len(themes), sum(theme.named_by_staff for theme in themes), embedded - started,
             time.perf_counter() - embedded)
    return themes


def rename(theme: Theme, new_name: str) -> SavedTheme:
    """The saved theme that keeps ``theme``'s comments, and those like them later, under ``new_name``."""
    return merge([theme], new_name)


def merge(themes: Sequence[Theme], name: str) -> SavedTheme:
    """One saved theme holding the centroids of all ``themes``: their comments are grouped under ``name``."""
    name = name.strip()
    if not name or name == OTHER:
        raise ValueError(f"a theme needs a name other than {OTHER!r}")
    if not themes or any(theme.is_other for theme in themes):
        raise ValueError(f"choose one or more themes, not {OTHER!r}: its comments have nothing in common")
    centroids = dict.fromkeys(_rounded(anchor) for theme in themes for anchor in theme.anchors)
    return SavedTheme(name, tuple(centroids))


def saved_theme_to_json(theme: SavedTheme) -> str:
    """Compact JSON: the name and the centroids to 4 decimals."""
    return json.dumps({"name": theme.name, "centroids": [_rounded(centroid) for centroid in theme.centroids]},
                      ensure_ascii=False, separators=(",", ":"))


def saved_theme_from_json(text: str) -> SavedTheme:
    """The saved theme :func:`saved_theme_to_json` wrote; ValueError when it is not one."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("a saved theme is a JSON object")
    name, centroids = data.get("name"), data.get("centroids")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a saved theme needs a name")
    if (not isinstance(centroids, list) or not centroids
            or any(not isinstance(row, list) or len(row) != len(centroids[0]) or not row for row in centroids)
            or any(isinstance(x, bool) or not isinstance(x, int | float) for row in centroids for x in row)):
        raise ValueError(f"saved theme {name!r}: centroids must be lists of numbers of one length")
    return SavedTheme(name, tuple(tuple(float(x) for x in row) for row in centroids))


def _rounded(vector: Iterable[float]) -> Vector:
    return tuple(round(float(x), DECIMALS) for x in vector)


def _embed(texts: list[str], encoder: Encode) -> np.ndarray:
    """Float32 rows of length 1 (an encoder's rows are normalised already; this makes sure)."""
    vectors = np.asarray(encoder(texts), dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(texts):
        raise ValueError(f"the encoder gave an array of shape {vectors.shape} for {len(texts)} texts")
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _saved_anchors(saved: Sequence[SavedTheme], dimensions: int) -> tuple[list[str], list[Vector], np.ndarray]:
    """The staff names (one per name, however often it is saved), every centroid, and each centroid's name."""
    names: dict[str, int] = {}
    anchors: list[Vector] = []
    owner: list[int] = []
    for theme in saved:
        for centroid in theme.centroids:
            if len(centroid) != dimensions:
                raise ValueError(f"saved theme {theme.name!r} has centroids of {len(centroid)} numbers; the "
                                 f"encoder gives {dimensions}: was it saved with another model?")
            anchors.append(centroid)
            owner.append(names.setdefault(theme.name, len(names)))
    return list(names), anchors, np.asarray(owner, dtype=np.intp)


def _nearest(vectors: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the index of the most similar centre and that cosine, a block of rows at a time."""
    index = np.empty(len(vectors), dtype=np.intp)
    similarity = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), BLOCK_ROWS):
        block = vectors[start:start + BLOCK_ROWS] @ centres.T
        index[start:start + len(block)] = block.argmax(axis=1)
        similarity[start:start + len(block)] = block.max(axis=1)
    return index, similarity


def _sums(vectors: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """The sum of the rows of each label 0..count-1, in float64 (a weighted count per column: ``np.add.at`` is
    some 50 times slower)."""
    return np.stack([np.bincount(labels, weights=column, minlength=count) for column in vectors.T], axis=1)


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _cluster(vectors: np.ndarray, joined: np.ndarray, first_proposed: int) -> np.ndarray:
    """The theme of each row: ``joined``'s staff theme (0, 1, ...) where it has one; else a staff theme, a proposed
    theme (``first_proposed`` and up) or -1 for "Other comments".

    The comments that joined a staff theme start as one group per theme, the rest one group per comment (or per
    k-means pack). The linkage may add groups to a staff theme's group, as it would to any other, but never
    merges two staff themes: a subject said in words that missed :data:`SAVED_JOIN` still ends under the staff's
    name rather than beside it. The re-assignment pass moves only the comments that did not join directly."""
    rest = np.flatnonzero(joined < 0)
    if len(vectors) < 2 or not len(rest):
        return joined
    staff = np.unique(joined[joined >= 0])
    packs = _kmeans(vectors[rest], DIRECT_LIMIT) if len(rest) > DIRECT_LIMIT else np.arange(len(rest))
    groups = np.searchsorted(staff, joined)
    groups[rest] = len(staff) + np.unique(packs, return_inverse=True)[1]  # k-means may leave a pack empty
    sizes = np.bincount(groups)
    threshold = _mean_similarity(vectors) + MERGE_MARGIN
    clusters = _average_linkage(_sums(vectors, groups, len(sizes)) / sizes[:, None], sizes, threshold,
                                len(staff))[groups]
    sizes = np.bincount(clusters)
    kept = np.flatnonzero((np.arange(len(sizes)) < len(staff)) | (sizes >= MIN_THEME_SIZE))
    if not len(kept):
        return joined  # no staff theme, and no group big enough to be a theme: all "Other comments"
    label_of_kept = np.concatenate([staff, first_proposed + np.arange(len(kept) - len(staff))])
    keep = np.isin(clusters, kept)
    centres = _unit(_sums(vectors[keep], np.searchsorted(kept, clusters[keep]), len(kept)))
    nearest, similarity = _nearest(vectors[rest], centres)
    labels = joined.copy()
    labels[rest] = np.where(similarity >= MEMBER_FLOOR, label_of_kept[nearest], -1)
    small = [label for label, count in Counter(labels.tolist()).items()
             if label >= first_proposed and count < MIN_THEME_SIZE]  # the pass can leave a group too small
    labels[np.isin(labels, small)] = -1
    return labels


def _mean_similarity(vectors: np.ndarray) -> float:
    """The average cosine over all pairs of different rows, without the pairs: (|sum|^2 - n) / (n (n - 1))."""
    total = vectors.sum(axis=0, dtype=np.float64)
    return float((total @ total - len(vectors)) / (len(vectors) * (len(vectors) - 1)))


def _kmeans(vectors: np.ndarray, count: int) -> np.ndarray:
    """Spherical k-means with k-means++ seeding: a group number per row. Only packs many comments into groups
    for the linkage, so a few rounds suffice."""
    centres = _spread_centres(vectors, count, np.random.default_rng(SEED))
    labels = _nearest(vectors, centres)[0]
    for _ in range(KMEANS_ROUNDS):
        sums = _sums(vectors, labels, len(centres))
        centres = np.where(sums.any(axis=1, keepdims=True), _unit(sums), centres)
        moved, labels = labels, _nearest(vectors, centres)[0]
        if np.array_equal(moved, labels):
            break
    return labels


def _spread_centres(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++: each next centre drawn with probability proportional to its squared distance (2 - 2 cos) from
    the nearest centre so far. Fewer than ``count`` when there are fewer different comments."""
    chosen = [int(rng.integers(len(vectors)))]
    distance = 1 - vectors @ vectors[chosen[0]]
    while len(chosen) < count:
        cumulative = np.cumsum(np.maximum(distance, 0, out=distance), dtype=np.float64)
        if cumulative[-1] <= 0:
            break
        drawn = np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")  # never a 0 distance
        chosen.append(min(int(drawn), len(vectors) - 1))
        np.minimum(distance, 1 - vectors @ vectors[chosen[-1]], out=distance)
    return vectors[chosen]


def _average_linkage(means: np.ndarray, sizes: np.ndarray, threshold: float, staff: int) -> np.ndarray:
    """Average linkage on cosine, stopped below ``threshold``: a cluster number per group, the lowest group number
    in it. Groups 0..``staff``-1 hold staff themes: two of them never merge.

    With normalised rows the average cosine between the comments of two groups is the dot product of the
    groups' mean vectors, and the mean of a merged group is the size-weighted mean of the two, so each merge
    costs one row of dot products."""
    means, sizes = means.astype(np.float64), sizes.astype(np.float64)
    cluster = np.arange(len(means))
    alive = np.ones(len(means), dtype=bool)
    similarity = means @ means.T
    np.fill_diagonal(similarity, -np.inf)
    similarity[:staff, :staff] = -np.inf
    while alive.sum() > 1:
        keep, gone = sorted(divmod(int(np.argmax(similarity)), len(means)))
        if similarity[keep, gone] < threshold:
            break
        means[keep] = (sizes[keep] * means[keep] + sizes[gone] * means[gone]) / (sizes[keep] + sizes[gone])
        sizes[keep] += sizes[gone]
        alive[gone] = False
        cluster[cluster == gone] = keep
        row = np.where(alive, means @ means[keep], -np.inf)
        row[keep] = -np.inf
        if keep < staff:
            row[:staff] = -np.inf
        similarity[keep], similarity[:, keep] = row, row
        similarity[gone], similarity[:, gone] = -np.inf, -np.inf
    return cluster


def _themes(comments: Sequence[Comment], vectors: np.ndarray, labels: np.ndarray, names: list[str],
            anchors: list[Vector], owner: np.ndarray, encoder: Encode) -> list[Theme]:
    """The themes of ``labels`` (staff names first in number, then proposed ones, -1 "Other comments"), named,
    with examples, largest first and "Other comments" last."""
    present = [int(label) for label in np.unique(labels)]  # -1 first when there is an "Other comments"
    members = [np.flatnonzero(labels == label) for label in present]
    centres = _unit(np.stack([vectors[rows].sum(axis=0, dtype=np.float64) for rows in members]))
    keywords = _keywords([[comments[i].text for i in rows] for rows in members], centres, encoder)
    taken = set(names)
    themes = []
    for label, rows, centre, words in zip(present, members, centres, keywords, strict=True):
        if label < 0:
            name, saved_centroids = OTHER, ()
        elif label < len(names):
            name = names[label]
            saved_centroids = tuple(_rounded(anchors[i]) for i in np.flatnonzero(owner == label))
        else:
            name, saved_centroids = _unique(" · ".join(words[:NAME_WORDS]) or "Unnamed theme", taken), ()
        order = rows[np.argsort(-(vectors[rows] @ centre), kind="stable")]
        examples = list(dict.fromkeys(comments[i].text for i in order))[:EXAMPLES]
        themes.append(Theme(name, 0 <= label < len(names), [comments[i].id for i in order], examples,
                            _rounded(centre), words, saved_centroids))
    return sorted(themes, key=lambda theme: (theme.is_other, -len(theme.comment_ids), theme.name))


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... when a theme already has it."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} ({number})"
    taken.add(candidate)
    return candidate


def _words(text: str) -> set[str]:
    """The content words of a comment, without placeholders such as [name]."""
    plain = PLACEHOLDER.sub(" ", text.casefold().replace("\u2019", "'"))
    return {word for word in WORD.findall(plain) if len(word) > 2 and word not in STOPWORDS}


def _keywords(themes: list[list[str]], centres: np.ndarray, encoder: Encode) -> list[list[str]]:
    """Each theme's keywords, the most telling first, as BERTopic's "KeyBERT-inspired" representation finds them.

    Candidates: the :data:`KEYWORD_CANDIDATES` best by class-based TF-IDF, a word's share of the theme's words
    times log(1 + average words per theme / the word's count in all themes), so that words frequent in this theme
    and rare in the others come first. A word counts once per comment, and a plural counts as its singular when
    both occur ("meals" as "meal"). Then the candidates are ordered by the cosine between the word's own
    embedding and the theme's centroid: in the test corpus c-TF-IDF alone named the activities theme "group ·
    made · month", the reordering "trip · day · going"."""
    comment_words = [[_words(text) for text in texts] for texts in themes]
    vocabulary = set().union(*(words for theme in comment_words for words in theme))
    singular = {word: word[:-1] for word in vocabulary if word.endswith("s") and word[:-1] in vocabulary}
    counts = [Counter(word for words in theme for word in {singular.get(word, word) for word in words})
              for theme in comment_words]
    total = sum(counts, Counter())
    average = total.total() / len(counts)
    candidates = []
    for count in counts:
        score = {word: n / count.total() * math.log(1 + average / total[word]) for word, n in count.items()}
        candidates.append(sorted(score, key=lambda word: (-score[word], word))[:KEYWORD_CANDIDATES])
    words = sorted(set().union(*candidates))
    if not words:
        return [[] for _ in themes]
    closeness = dict(zip(words, _embed(words, encoder) @ centres.T, strict=True))
    return [sorted(theme_words, key=lambda word: -closeness[word][number])[:KEYWORDS]
            for number, theme_words in enumerate(candidates)]
