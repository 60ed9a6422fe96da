"""The coded corpus as its data card describes it, loaded the way users load it."""

from functools import cache

import datasets
import pytest

from autocoder.corpus import CODED_DIR, SPLITS, STYLES, load_split, source_text

FIELDS = {"id", "text", "doc", "source_file", "start", "end", "section", "sample", "origin", "category",
          "construct", "coder", "annotator_1", "annotator_2", "adjudication_reason", "synthetic", "style", "register",
          "writer"}
CODERS = {"study", "project:agreed", "project:adjudicator"}


@pytest.fixture(scope="module")
def corpus():
    return datasets.load_dataset("json", data_files={s: str(CODED_DIR / f"{s}.jsonl") for s in SPLITS})


cached_source = cache(source_text)


def test_load_dataset_gives_the_documented_fields(corpus):
    assert set(corpus) == set(SPLITS)
    for split in SPLITS:
        assert set(corpus[split].column_names) == FIELDS
        assert corpus[split].num_rows == len(load_split(split)) > 0


def test_every_unit_is_verbatim_in_its_source_document(seed_sources):
    for split in SPLITS:
        for unit in load_split(split):
            assert cached_source(unit["source_file"])[unit["start"]:unit["end"]] == unit["text"], unit["id"]


def test_every_code_is_in_the_codebook_and_every_unit_names_its_coder(codebook):
    for split in SPLITS:
        for unit in load_split(split):
            assert unit["coder"] in CODERS, unit["id"]
            if unit["coder"] == "study":
                assert unit["category"] is None or codebook.is_code(unit["category"])
                assert unit["construct"] in codebook.construct_ids
            else:
                for code in (unit["category"], unit["annotator_1"], unit["annotator_2"]):
                    assert codebook.is_code(code), unit["id"]
                assert unit["construct"] == codebook.construct_of(unit["category"])
                agreed = unit["annotator_1"] == unit["annotator_2"]
                assert (unit["coder"] == "project:agreed") == agreed
                assert agreed == (unit["adjudication_reason"] is None)
                if agreed:
                    assert unit["category"] == unit["annotator_1"]


def test_no_document_is_in_two_splits():
    seen = {}
    for split in SPLITS:
        for unit in load_split(split):
            assert seen.setdefault(unit["doc"], split) == split, unit["doc"]


def test_held_out_splits_keep_real_and_synthetic_apart():
    assert not any(u["synthetic"] for u in load_split("test"))
    assert all(u["synthetic"] for u in load_split("test_synthetic"))
    assert all(u["coder"] == "study" and u["sample"] == "school_reports" for u in load_split("test_study"))
    assert not any(u["coder"] == "study" and u["sample"] == "school_reports" for u in load_split("train"))


def test_the_project_never_claims_the_study_coding():
    study = [u for s in SPLITS for u in load_split(s) if u["coder"] == "study"]
    assert study and all(u["source_file"] == "000_9975713ac97e2bd7.txt" for u in study)
    assert all(u["annotator_1"] is None and u["annotator_2"] is None for u in study)


def test_each_register_style_has_a_held_out_split_of_its_own_documents():
    for style in STYLES:
        held_out = load_split(f"test_{style}")
        assert held_out and all(u["style"] == style and u["coder"] != "study" for u in held_out)
    assert not any(u["style"] for s in ("test", "test_synthetic", "test_study") for u in load_split(s))
