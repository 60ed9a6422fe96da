"""The learned unitizer: candidates, training on labelled cuts, saving beside a model, and the bundled one."""

import json

import numpy as np
import pytest

from autocoder.cuts import CutModel, candidates, labelled_examples
from autocoder.pipeline import Pipeline
from autocoder.segment import BUNDLED_UNITIZER, UNITIZER_FILE, Segmenter
from autocoder.types import Document


@pytest.fixture(scope="module")
def nlp(segmenter):
    return segmenter.nlp


def test_candidates_are_the_places_the_guideline_cuts_at_and_none_inside_brackets(nlp):
    doc = nlp("The SENDCo rebuilt the map, and governors get a report; TAs (trained, and keen) help, while staff plan.")
    words = [doc[c.token].text for c in candidates(list(doc))]
    assert words == ["and", ";", "while"]


def test_a_model_learns_to_cut_where_annotators_cut(nlp):
    """Annotators who cut at every semicolon and never at ", and": the fitted model does the same."""
    sentences = ["Staff are trained in phonics; the SENCo observes each term.",
                 "Parents attend reviews; pupils lead part of the meeting.",
                 "Leaders track attendance, and pupils say they feel safe.",
                 "The plan is shared with staff, and the plan is reviewed every term."]
    examples = []
    for sentence in sentences:
        doc = nlp(sentence)
        ends = {t.idx for t in doc if t.text == ";"}  # the annotators' units end at the semicolons
        examples += labelled_examples(doc, ends)
    assert sorted(label for _, label in examples) == [0.0, 0.0, 1.0, 1.0]
    model = CutModel.fit(examples * 5, C=10.0)
    cut = Segmenter(nlp=nlp, cut_model=model)
    text = "TAs run the reading groups; teachers plan the adaptations.\nGovernors visit, and leaders report termly.\n"
    assert [u.text for u in cut.segment(Document("d", text))] == [
        "TAs run the reading groups", "teachers plan the adaptations.", "Governors visit, and leaders report termly."]


def test_a_saved_unitizer_loads_back_to_the_same_cuts(tmp_path, nlp):
    bundled = Segmenter.load(nlp=nlp)
    assert bundled.cut_model is not None  # the package ships a learned unitizer
    bundled.save(tmp_path / UNITIZER_FILE)
    again = Segmenter.load(tmp_path / UNITIZER_FILE, nlp=nlp)
    assert json.loads((tmp_path / UNITIZER_FILE).read_text()) == json.loads(BUNDLED_UNITIZER.read_text())
    text = ("The SENDCo has rebuilt the provision map, and governors now receive a termly SEND report.\n"
            "TAs trained in Colourful Semantics; SENCO observes each term; parents invited to a workshop.\n")
    assert again.segment(Document("d", text)) == bundled.segment(Document("d", text))
    assert np.allclose(again.cut_model.coef, bundled.cut_model.coef)


def test_a_model_directory_brings_its_own_unitizer(tmp_path, small_model_dir, nlp):
    """A model saved with a unitizer that never cuts codes the units that unitizer makes."""
    import shutil

    model_dir = tmp_path / "model"
    shutil.copytree(small_model_dir, model_dir)
    never = CutModel({"cue=;": 0}, np.array([0.0]), intercept=-50.0)
    Segmenter(cut_model=never).save(model_dir / UNITIZER_FILE)
    pipeline = Pipeline.load(model_dir)
    text = "TAs trained in Colourful Semantics; SENCO observes each term.\n"
    assert pipeline.segmenter.cut_model is not None and pipeline.segmenter.cut_model.intercept == -50.0
    assert [u.text for u in pipeline.segment(Document("d", text))] == [text.strip()]
