"""Faster encoder backends: the sentence-transformers model exported to ONNX, run by ONNX Runtime (fp32 or
int8) or OpenVINO.

sentence-transformers' own ONNX backend needs optimum-onnx, which pins a transformers older than the one
installed, so the export is done here with `torch.onnx.export` from the local model folder: the exported graph
is the whole sentence-transformers model (transformer, mean pooling, normalisation), so its output is the
sentence embedding itself. Nothing is fetched: the export is made once and kept in a cache folder (by default
`onnx/` inside the model's own folder, where sentence-transformers keeps its exports too).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
OPSET = 17


def _max_length(model_path: Path) -> int:
    config = model_path / "sentence_bert_config.json"
    return json.loads(config.read_text(encoding="utf-8"))["max_seq_length"] if config.exists() else 512


def atomic_write(target: Path, write: Callable[[Path], None]) -> Path:
    """Write `target` through a temporary file in its folder, then rename it: a reader, a concurrent writer or a
    rerun after kill -9 sees the old file or the new one, never part of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the result is an ordinary file
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _export_fp32(model_path: Path, target: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path), device="cpu").eval()

    class Embed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.model(features)["sentence_embedding"]

    sample = model.tokenizer(["an example sentence for tracing", "another one"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    # Tracing warns about shape checks it fixes as constants; they hold for every input of this model
    # (the exported graph is checked against torch in tests/test_batch_backends.py).
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Embed(), tuple(sample[name] for name in names), str(target), input_names=names,
                          output_names=["sentence_embedding"], dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Dynamic quantisation: int8 weights, activations quantised per batch; no calibration data needed.
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


def exported_model(model_path: str | Path, backend: str, cache_dir: str | Path | None = None) -> Path:
    """The ONNX file for `backend`, exported (and quantised) from the local model on first use."""
    model_path = Path(model_path)
    cache = Path(cache_dir) if cache_dir is not None else model_path / "onnx"
    fp32 = cache / "model.onnx"
    if not fp32.exists():
        atomic_write(fp32, lambda tmp: _export_fp32(model_path, tmp))
    if backend != "onnx-int8":
        return fp32
    int8 = cache / "model_qint8.onnx"
    if not int8.exists():
        atomic_write(int8, lambda tmp: _quantize(fp32, tmp))
    return int8


class ExportedEncoder:
    """The exported model behind the part of SentenceTransformer's interface that `Encoder` uses."""

    def __init__(self, model_path: str | Path, backend: str = "onnx", cache_dir: str | Path | None = None,
                 threads: int | None = None):
        if backend not in BACKENDS[1:]:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        from tokenizers import Tokenizer

        model_path = Path(model_path)
        self.backend = backend
        self.path = exported_model(model_path, backend, cache_dir)
        self.tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self.tokenizer.enable_truncation(_max_length(model_path))
        self.tokenizer.no_padding()
        self._run = self._openvino(threads) if backend == "openvino" else self._onnxruntime(threads)

    def _onnxruntime(self, threads: int | None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        return lambda feeds: session.run(None, feeds)[0]

    def _openvino(self, threads: int | None):
        import openvino as ov

        # Every new input shape (batch size x tokens) would otherwise leave compiled kernels in a cache that
        # grows with the archive (some 2 MiB a report); without it, memory stays flat at no cost in speed.
        # Unpinned: worker processes with a thread each would otherwise be pinned to the same core.
        config = {"PERFORMANCE_HINT": "LATENCY", "CPU_RUNTIME_CACHE_CAPACITY": 0, "ENABLE_CPU_PINNING": False,
                  **({"INFERENCE_NUM_THREADS": threads} if threads else {})}
        compiled = ov.Core().compile_model(str(self.path), "CPU", config)
        request = compiled.create_infer_request()
        return lambda feeds: request.infer(feeds)[compiled.outputs[0]].copy()

    def get_embedding_dimension(self) -> int:
        return int(self.encode(["dimension"]).shape[1])

    def encode(self, texts: Sequence[str], batch_size: int = 64, normalize_embeddings: bool = True,
               convert_to_numpy: bool = True, show_progress_bar: bool = False) -> np.ndarray:
        """Embeddings in input order. Like sentence-transformers, texts are batched by length so that little
        padding is computed; the graph normalises, so `normalize_embeddings` is always in effect."""
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for first in range(0, len(order), batch_size):
            chosen = order[first:first + batch_size]
            width = max(len(encodings[i].ids) for i in chosen)
            feeds = {name: np.zeros((len(chosen), width), dtype=np.int64)
                     for name in ("input_ids", "attention_mask", "token_type_ids")}
            for row, i in enumerate(chosen):
                e = encodings[i]
                feeds["input_ids"][row, :len(e.ids)] = e.ids
                feeds["attention_mask"][row, :len(e.ids)] = e.attention_mask
                feeds["token_type_ids"][row, :len(e.ids)] = e.type_ids
            vectors = self._run(feeds)
            if out.shape[1] == 0:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[chosen] = vectors
        return out
