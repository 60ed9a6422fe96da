import copy

import numpy as np
import pytest

from autocoder.classify import CodebookClassifier
from autocoder.embed import Encoder
from autocoder.errors import InputError
from autocoder.types import NONE_CODE


def test_probabilities_and_ranked_suggestions(small_model, codebook):
    texts = ["Staff receive regular training on autism and dyslexia.",
             "The SENDCo tracks the progress of every pupil on the register each term."]
    proba = small_model.predict_proba(texts)
    assert proba.shape == (2, len(small_model.classes_))
    assert np.allclose(proba.sum(axis=1), 1.0)
    for suggestion in small_model.suggest(texts):
        probabilities = [p for _, p in suggestion.ranked]
        assert len(suggestion.ranked) == 3 and probabilities == sorted(probabilities, reverse=True)
        assert all(codebook.is_code(c) and c != NONE_CODE for c, _ in suggestion.ranked)
        assert suggestion.construct == codebook.construct_of(suggestion.category)
        assert suggestion.model == small_model.version


def test_real_model_codes_clear_cases(small_model):
    predicted = small_model.predict([
        "Staff engage in high quality professional development on inclusive practice.",
        "Parents are welcomed into school and help shape the support their children receive.",
    ])
    assert predicted == ["professional_development", "partnership_parents_pupils"]


def test_threshold_makes_the_model_abstain(small_model):
    strict = copy.copy(small_model).set_params(threshold=1.01)
    suggestions = strict.suggest(["Teachers plan lessons that meet every pupil's needs."])
    assert suggestions[0].category is None and suggestions[0].construct is None
    assert suggestions[0].ranked  # alternatives are still offered to a reviewer


def test_category_with_no_coded_units_can_still_be_suggested(codebook, encoder):
    # Trained only on NONE and one category: every other category is learnt from the codebook's own text.
    model = CodebookClassifier(codebook=codebook, encoder=encoder).fit(
        ["The review took place over two days in June.", "The school has 420 pupils on roll.",
         "Teachers differentiate work well for pupils with SEND."],
        [NONE_CODE, NONE_CODE, "quality_teaching"])
    assert "change_management" in model.classes_
    assert model.predict(["Leaders manage change proactively and deal well with uncertainty."]) == ["change_management"]


def test_save_and_load_give_the_same_predictions(small_model, small_model_dir, codebook, encoder):
    loaded = CodebookClassifier.load(small_model_dir, codebook=codebook, encoder=encoder)
    texts = ["Leaders share a vision of inclusion with all staff."]
    assert np.allclose(loaded.predict_proba(texts), small_model.predict_proba(texts))
    assert loaded.version == small_model.version
    assert (small_model_dir / "weights.npz").exists() and not list(small_model_dir.glob("*.pkl"))


def test_unknown_training_codes_are_refused(codebook, encoder):
    with pytest.raises(InputError, match="not_a_category"):
        CodebookClassifier(codebook=codebook, encoder=encoder).fit(["text"], ["not_a_category"])


def test_loading_a_directory_that_is_not_a_model(tmp_path, codebook):
    with pytest.raises(InputError, match="not a model directory"):
        CodebookClassifier.load(tmp_path, codebook=codebook)


def test_encoder_cache_never_embeds_a_text_twice(encoder):
    before = encoder.cache_size
    first = encoder.encode(["A unit seen once.", "A unit seen once.", "Another unit."])
    assert encoder.cache_size == before + 2
    again = encoder.encode(["Another unit."])
    assert encoder.cache_size == before + 2
    assert np.allclose(first[2], again[0]) and np.allclose(np.linalg.norm(first, axis=1), 1.0)


def test_context_and_section_are_features(small_model):
    plain = {"text": "Teachers adapt lessons well."}
    in_context = {"text": "Teachers adapt lessons well.", "section": "strength",
                  "context": "The SENDCo leads training on adaptive teaching."}
    features = small_model.features([plain, in_context])
    assert features.shape == (2, 384 * 2 + 3)
    assert features[0, -3:].tolist() == [0, 0, 0] and features[1, -3:].tolist() == [1, 0, 0]
    # Without neighbours a unit is its own context.
    assert np.allclose(features[0, 384:768], 0.5 * features[0, :384])
    assert not np.allclose(small_model.predict_proba([plain]), small_model.predict_proba([in_context]))


def test_mean_context_is_the_normalised_mean_of_the_neighbours_embeddings(encoder):
    from autocoder.classify import CodebookClassifier

    model = CodebookClassifier(encoder=encoder, context_weight=1.0, context_encoding="mean")
    neighbours = ["The SENDCo leads training.", "Parents are welcomed."]
    features = model.features([{"text": "Teachers adapt lessons.", "context": neighbours},
                               {"text": "A unit on its own.", "context": []}])
    mean = encoder.encode(neighbours).mean(axis=0)
    assert np.allclose(features[0, 384:], mean / np.linalg.norm(mean), atol=1e-6)
    assert np.allclose(features[1, 384:], features[1, :384])
    joined = CodebookClassifier(encoder=encoder, context_weight=1.0).features(
        [{"text": "Teachers adapt lessons.", "context": neighbours}])
    assert np.allclose(joined[0, 384:], encoder.encode([" ".join(neighbours)])[0])


def test_neighbours_give_context_only_within_a_document():
    from autocoder.classify import with_context
    from autocoder.types import Unit

    units = [Unit("a", 0, 10, "First unit."), Unit("a", 11, 25, "Second unit."), Unit("b", 0, 9, "Other doc.")]
    assert [u["context"] for u in with_context(units)] == [["Second unit."], ["First unit."], []]


def test_encoder_cache_keeps_at_most_its_bound_and_still_answers_past_it(encoder):
    bounded = Encoder(model=encoder.model, cache_texts=2)
    texts = ["First unit.", "Second unit.", "Third unit.", "First unit."]
    vectors = bounded.encode(texts)
    assert bounded.cache_size == 2
    assert np.allclose(vectors, encoder.encode(texts), atol=1e-6)


@pytest.mark.slow  # fine-tunes the encoder
def test_fine_tuned_encoder_is_saved_with_the_model_and_loaded_back(codebook, study_units, tmp_path):
    """The real encoder fine-tuned for one epoch on the paper's own framework examples: the model keeps the tuned
    encoder beside its weights, and loading the folder codes as the model in memory did."""
    coded = [u for u in study_units if u["category"]][:24]
    texts, codes = [u["text"] for u in coded], [u["category"] for u in coded]
    model = CodebookClassifier(codebook=codebook, codebook_weight=0.0, fine_tune_epochs=1).fit(texts, codes)
    model.save(tmp_path / "tuned")
    assert (tmp_path / "tuned" / "encoder" / "modules.json").is_file()
    loaded = CodebookClassifier.load(tmp_path / "tuned", codebook=codebook, encoder=Encoder())
    assert loaded.encoder.model_path == str(tmp_path / "tuned" / "encoder")
    assert loaded.predict(texts) == model.predict(texts)
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=0.02)
