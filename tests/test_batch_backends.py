"""The optimised encoder backends: exported from the local model, same embeddings, same agreement."""

from __future__ import annotations

import numpy as np
import pytest

from autocoder.classify import CodebookClassifier
from autocoder.corpus import SPLITS
from autocoder.embed import Encoder
from autocoder.pipeline import DEFAULT_MODEL
from autocoder.train import CodedSet, score

APPROXIMATE = ("onnx-int8", "openvino")
"""The backends that compute in lower precision (int8, and bf16 where the processor has it): their agreement is
checked. The fp32 ONNX export gives the torch embeddings themselves (checked below)."""


@pytest.fixture(scope="module")
def held_out():
    sets = [CodedSet.from_split(s) for s in SPLITS if s != "train"]
    return CodedSet.concat(sets)


@pytest.fixture(scope="module")
def kappas(held_out, codebook, encoder):
    """Category and construct kappa with the human codes on every held-out unit, per backend."""
    result = {}
    for backend in ("torch", *APPROXIMATE):
        model = CodebookClassifier.load(DEFAULT_MODEL, codebook=codebook,
                                        encoder=encoder if backend == "torch" else Encoder(backend=backend))
        scored = score(held_out, model.predict(held_out.inputs), codebook)
        result[backend] = (scored["category"]["kappa"], scored["construct"]["kappa"])
    return result


@pytest.mark.slow  # codes every held-out unit three times
@pytest.mark.parametrize("backend", APPROXIMATE)
def test_agreement_within_001_kappa_of_the_torch_model(kappas, backend):
    (category, construct), (torch_category, torch_construct) = kappas[backend], kappas["torch"]
    assert abs(category - torch_category) <= 0.01
    assert abs(construct - torch_construct) <= 0.01


def test_exported_model_gives_the_torch_embeddings(encoder, held_out):
    texts = [x["text"] for x in held_out.inputs[:100]]
    reference = encoder.encode(texts)
    assert np.abs(Encoder(backend="onnx").encode(texts) - reference).max() < 1e-4
    for backend in ("onnx-int8", "openvino"):
        cosines = (Encoder(backend=backend).encode(texts) * reference).sum(axis=1)
        assert cosines.min() > 0.95 and cosines.mean() > 0.99


def test_export_is_made_from_the_local_folder_and_kept(tmp_path):
    from autocoder.backends import ExportedEncoder, exported_model
    from autocoder.embed import default_model_path

    path = exported_model(default_model_path(), "onnx-int8", cache_dir=tmp_path)
    assert path == tmp_path / "model_qint8.onnx" and (tmp_path / "model.onnx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "model_qint8.onnx"]  # no temporary left
    modified = path.stat().st_mtime_ns
    encoder = ExportedEncoder(default_model_path(), "onnx-int8", cache_dir=tmp_path)
    assert path.stat().st_mtime_ns == modified  # reused, not exported again
    assert encoder.encode(["Staff know the pupils well."]).shape == (1, 384)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be one of torch, onnx, onnx-int8, openvino"):
        Encoder(backend="tensorrt").encode(["text"])
