from autocoder.frequencies import frequency_table, to_markdown
from autocoder.types import NONE_CODE


def test_category_table_counts_and_proportions(codebook):
    codes = ["quality_teaching", "quality_teaching", "tracking_impact", "sendco_role", NONE_CODE, None]
    table = frequency_table(codes, codebook).set_index("category")
    assert table.loc["quality_teaching", "all n"] == 2
    assert table.loc["quality_teaching", "all prop"] == 0.5  # NONE and uncoded units are not in the total
    assert table.loc["sendco_role", "all prop"] == 0.25
    assert table.loc["rights", "all n"] == 0
    assert table["all n"].sum() == 4


def test_construct_table_split_by_section_with_ranks(codebook):
    codes = ["quality_teaching", "curriculum_breadth", "tracking_impact", "professional_development", "quality_teaching"]
    sections = ["strength", "strength", "development", "development", None]
    table = frequency_table(codes, codebook, "construct", groups=sections).set_index("construct")
    assert table.loc["learner_centredness", "all n"] == 3
    assert table.loc["learner_centredness", "all prop"] == 0.6
    assert table.loc["learner_centredness", "all rank"] == "1st"
    assert table.loc["learner_centredness", "strength n"] == 2
    assert table.loc["learner_centredness", "development n"] == 0
    assert table.loc["reciprocal_vigilance", "development prop"] == 0.5
    assert "recommendation n" not in table.columns  # no unit sits in that section


def test_markdown_rendering(codebook):
    markdown = to_markdown(frequency_table(["rights"], codebook, "construct"))
    assert markdown.splitlines()[0].startswith("| construct | name | all n | all prop | all rank |")
    assert "| collectivism |" in markdown and "| 1 | 1.000 | 1st |" in markdown
