import pytest

from autocoder.corpus import read_source, source_documents
from autocoder.readers import read_document
from autocoder.sections import classify_heading
from autocoder.types import Document, Section

from .documents import write_docx, write_pdf


def texts(units):
    return [u.text for u in units]


def test_offsets_hold_on_the_real_source_documents(segmenter):
    for source in source_documents():
        text = read_source(source)
        units = segmenter.segment(Document(source.id, text))
        assert len(units) > 100
        for unit in units:
            assert text[unit.start:unit.end] == unit.text
            assert unit.text == unit.text.strip()
        starts = [u.start for u in units]
        assert starts == sorted(starts)
        assert all(a.end <= b.start for a, b in zip(units, units[1:])), "units overlap"


def test_sentences_are_units(segmenter):
    doc = Document("d", "Pupil passports are well used by all teachers. Teachers say that this helps them plan.")
    assert texts(segmenter.segment(doc)) == [
        "Pupil passports are well used by all teachers.", "Teachers say that this helps them plan."]


def test_semicolon_joined_clauses_are_split(segmenter):
    doc = Document("d", "The SENDCo is well supported by leaders; governors receive termly reports on provision.")
    assert texts(segmenter.segment(doc)) == [
        "The SENDCo is well supported by leaders", "governors receive termly reports on provision."]


def test_coordinated_clauses_with_their_own_subject_are_split(segmenter):
    doc = Document("d", "Staff are consulted on the plan and the SENDCo reports to governors every term.")
    assert texts(segmenter.segment(doc)) == ["Staff are consulted on the plan", "the SENDCo reports to governors every term."]


def test_coordination_without_a_new_subject_stays_one_unit(segmenter):
    doc = Document("d", "Develop subject leaders to support assessment, curriculum and resources.")
    assert texts(segmenter.segment(doc)) == ["Develop subject leaders to support assessment, curriculum and resources."]


def test_list_items_and_table_cells_are_separate_units(segmenter):
    text = "All school leaders should:\n- track attendance of pupils with SEND\n- meet parents every term\nValues matter here\tStaff share the vision"
    units = segmenter.segment(Document("d", text))
    assert texts(units) == ["All school leaders should", "track attendance of pupils with SEND", "meet parents every term",
                            "Values matter here", "Staff share the vision"]
    assert all(text[u.start:u.end] == u.text for u in units)


def test_fragments_too_short_to_hold_an_idea_are_dropped(segmenter):
    assert texts(segmenter.segment(Document("d", "Headteacher\n\n12\n\nThe school is inclusive."))) == ["The school is inclusive."]


@pytest.mark.parametrize("line, section", [
    ("Areas of strength", Section.STRENGTH), ("## Strengths:", Section.STRENGTH), ("**Key strengths**", Section.STRENGTH),
    ("What is working well", Section.STRENGTH), ("Area of Strength", Section.STRENGTH),
    ("Areas for development", Section.DEVELOPMENT), ("Areas to develop", Section.DEVELOPMENT),
    ("2. Areas for further development", Section.DEVELOPMENT), ("Even better if", Section.DEVELOPMENT),
    ("Recommendations", Section.RECOMMENDATION), ("### Next steps", Section.RECOMMENDATION),
    ("Recommended actions:", Section.RECOMMENDATION), ("Priority actions", Section.RECOMMENDATION),
])
def test_section_heading_variants(line, section):
    assert classify_heading(line).section is section


@pytest.mark.parametrize("line", ["The strengths of the school are many.", "Recommendations were agreed with the head.",
                                  "Pupils make strong progress"])
def test_sentences_mentioning_sections_are_not_headings(line):
    assert classify_heading(line) is None


def test_units_carry_the_section_they_sit_in(segmenter):
    text = ("# Report: Oak Lane\nThe visit took place in March with three reviewers.\n## Areas of strength\n"
            "- Parents are partners in planning.\n## Areas to develop\n- Tracking of progress is inconsistent.\n"
            "## Recommendations\n- Ensure all staff receive autism training.\n## Appendix\nThe review team thanks the school.")
    units = segmenter.segment(Document("d", text))
    assert [(u.text, u.section) for u in units] == [
        ("The visit took place in March with three reviewers.", None),
        ("Parents are partners in planning.", "strength"),
        ("Tracking of progress is inconsistent.", "development"),
        ("Ensure all staff receive autism training.", "recommendation"),
        ("The review team thanks the school.", None),
    ]


@pytest.mark.parametrize("writer", [write_docx, write_pdf])
def test_sections_are_found_in_docx_and_pdf(tmp_path, segmenter, writer):
    document = read_document(writer(tmp_path / f"report.{writer.__name__[6:]}"))
    units = segmenter.segment(document)
    assert [(u.text, u.section) for u in units][0] == ("SEND Peer Challenge report", None)
    assert {u.section for u in units[1:]} == {"strength", "development", "recommendation"}
    assert all(document.text[u.start:u.end] == u.text for u in units)
