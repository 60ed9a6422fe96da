import json

import pytest

from autocoder.io import load_codebook
from autocoder.errors import CodebookError
from autocoder.frequencies import published_table

# The paper's Table 5: construct proportions in frameworks E1, E2, E3 and the 24 school reports.
TABLE_5 = {
    "co_constructivism": (0.298, 0.317, 0.213, 0.136),
    "collectivism": (0.246, 0.366, 0.187, 0.106),
    "learner_centredness": (0.316, 0.146, 0.240, 0.287),
    "reciprocal_vigilance": (0.070, 0.024, 0.227, 0.251),
    "operational_diligence": (0.035, 0.098, 0.053, 0.150),
    "transformative_professional_learning": (0.035, 0.049, 0.080, 0.071),
}
CATEGORIES = {
    "co_constructivism": ["shared_responsibility", "collaboration_schools_orgs", "partnership_parents_pupils"],
    "collectivism": ["wsa_inclusive_ethos", "wsa_wellbeing", "wsa_transitions", "improvement_planning",
                     "ethical_practice", "rights"],
    "learner_centredness": ["quality_teaching", "curriculum_breadth", "identification_of_need", "send_information",
                            "ancillary_staff", "external_expertise", "evidence_based_practice"],
    "reciprocal_vigilance": ["tracking_impact", "tracking_barriers", "academic_outcomes", "stakeholder_satisfaction"],
    "operational_diligence": ["send_systems", "leadership_structure", "resource_management", "sendco_role",
                              "staff_motivation", "change_management"],
    "transformative_professional_learning": ["professional_development"],
}


def test_codebook_has_the_papers_categories_and_constructs(codebook):
    assert codebook.construct_ids == list(CATEGORIES)
    for construct, categories in CATEGORIES.items():
        assert [c.id for c in codebook.categories_of(construct)] == categories
    assert len(codebook.categories) == 27
    for category in codebook.categories:
        assert category.name and category.principle
        assert set(category.theories) <= {"TL", "IL", "DL", "OL"}


def test_unit_totals_reproduce_the_paper(codebook):
    table = published_table(codebook, "category")
    assert [int(table[f"{s} n"].sum()) for s in ("E1", "E2", "E3", "school_reports")] == [57, 41, 75, 848]
    assert {s.id: s.units for s in codebook.samples} == {"E1": 57, "E2": 41, "E3": 75, "school_reports": 848}


def test_construct_proportions_reproduce_table_5(codebook):
    table = published_table(codebook, "construct").set_index("construct")
    for construct, expected in TABLE_5.items():
        got = tuple(table.loc[construct, f"{s} prop"] for s in ("E1", "E2", "E3", "school_reports"))
        assert got == pytest.approx(expected, abs=0.0005), construct


def test_school_report_construct_frequencies_match_section_5_2(codebook):
    # Section 5.2 states 115, 90, 243 and 60 units for four of the constructs.
    table = published_table(codebook, "construct").set_index("construct")["school_reports n"]
    assert (table["co_constructivism"], table["collectivism"], table["learner_centredness"],
            table["transformative_professional_learning"]) == (115, 90, 243, 60)


def _small_codebook() -> dict:
    return {
        "id": "ncsl_dimensions", "name": "Five dimensions",
        "constructs": [{"id": "whole_school", "name": "Whole school"}, {"id": "specialist", "name": "Specialist"}],
        "categories": [
            {"id": "values", "name": "Shared values", "construct": "whole_school", "principle": "A shared commitment to inclusion."},
            {"id": "teaching", "name": "Teaching and learning", "construct": "whole_school", "principle": "Collaborative problem-solving in classrooms."},
            {"id": "resources", "name": "Resources for support", "construct": "specialist", "principle": "Support used for flexible provision."},
        ],
    }


def test_another_codebook_loads_through_the_same_code(tmp_path):
    path = tmp_path / "book.json"
    path.write_text(json.dumps(_small_codebook()))
    book = load_codebook(path)
    assert book.category_ids == ["values", "teaching", "resources"]
    assert book.construct_of("resources") == "specialist"


def test_a_codebook_without_constructs(tmp_path):
    data = _small_codebook()
    del data["constructs"]
    for category in data["categories"]:
        del category["construct"]
    path = tmp_path / "book.json"
    path.write_text(json.dumps(data))
    book = load_codebook(path)
    assert book.constructs == () and book.construct_of("values") is None
    assert book.to_dict() == data  # what a model directory keeps


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["categories"][0].update(construct="nowhere"), "unknown construct"),
    (lambda d: d["categories"].append(dict(d["categories"][0])), "duplicate category"),
    (lambda d: d.pop("constructs"), "names construct 'whole_school', but the codebook has no constructs"),
    (lambda d: d.pop("categories"), "missing or malformed field"),
    (lambda d: d["categories"][0].update(id="NONE"), "reserved"),
])
def test_malformed_codebooks_are_refused(tmp_path, mutate, message):
    data = _small_codebook()
    mutate(data)
    path = tmp_path / "book.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CodebookError, match=message):
        load_codebook(path)


def test_codebook_file_that_is_not_json(tmp_path):
    path = tmp_path / "book.json"
    path.write_bytes(b"\x00\x01 not json")
    with pytest.raises(CodebookError, match=str(path)):
        load_codebook(path)


def test_unknown_category_lookup_names_the_id(codebook):
    with pytest.raises(CodebookError, match="no_such_code"):
        codebook.category("no_such_code")
