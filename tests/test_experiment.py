"""A small run of the experiment harness, so it cannot rot: two folds, a subset of the corpus."""

import pytest
import json
import subprocess
import sys

from autocoder.corpus import HELD_OUT

pytestmark = pytest.mark.slow  # trains every candidate



def test_experiment_and_analysis_write_their_results(tmp_path):
    subprocess.run([sys.executable, "-m", "training.experiment", "--folds", "2", "--subset", "150",
                    "--candidates", "tfidf_lr,minilm_lr", "--out", str(tmp_path)], check=True, capture_output=True,
                   timeout=900)
    results = json.loads((tmp_path / "results.json").read_text())
    assert [r["name"] for r in results] == ["tfidf_lr", "minilm_lr"]
    for result in results:
        assert result["peak_memory_mb"] > 0 and result["train_seconds"] > 0
        for part in ("cross_validation", "test", "test_synthetic"):
            for level in ("category", "construct"):
                assert -1 <= result[part][level]["kappa"] <= 1
                assert 0 <= result[part][level]["macro_f1"] <= 1
            assert 0 <= result[part]["construct_proportion_error"] <= 1
    table = (tmp_path / "results.md").read_text()
    assert "| tfidf_lr | test |" in table
    assert "missed by" in table or "reached" in table

    subprocess.run([sys.executable, "-m", "training.analysis", "--candidate", "minilm_lr", "--folds", "2",
                    "--subset", "150", "--steps", "1", "--batch", "20", "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=900)
    analysis = json.loads((tmp_path / "analysis.json").read_text())
    assert set(analysis["ece"]) == {"cross_validation, raw", "cross_validation, scaled", "test, raw", "test, scaled"}
    assert all(0 <= value <= 1 for value in analysis["ece"].values()) and analysis["temperature"] > 0
    assert [p["reviewed"] for p in analysis["learning_curve"]["random"]] == [0, 20]
    assert set(analysis["quantification"]) == set(HELD_OUT)
    for name in ("reliability.png", "coverage.png", "learning_curve.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
