import pytest

from autocoder.clauses import ClauseRules
from autocoder.corpus import read_source, source_documents
from autocoder.languages import language_warnings
from autocoder.readers import read_document
from autocoder.segment import Segmenter, SegmenterConfig, safe_pieces
from autocoder.sections import RAG_RATINGS, Heading, classify_heading, heading_cues, heading_table, normalise
from autocoder.types import Document, Section

from .documents import write_docx, write_pdf


def texts(units):
    return [u.text for u in units]


def test_offsets_hold_on_the_real_source_documents(segmenter, seed_sources):
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


def test_semicolons_split_notes_when_the_rule_is_on():
    segmenter = Segmenter(SegmenterConfig(clauses=ClauseRules(semicolon=True)))
    doc = Document("d", "Strong SLT buy-in; SENCO on SLT; EHCP reviews all on time; RAG")
    assert texts(segmenter.segment(doc)) == ["Strong SLT buy-in", "SENCO on SLT", "EHCP reviews all on time; RAG"]


def test_coordinated_clauses_about_different_things_are_split_when_the_rule_is_on():
    segmenter = Segmenter(SegmenterConfig(clauses=ClauseRules(coordinated=True)))
    split = Document("d", "Staff are consulted on the plan, and the SENDCo reports to governors every term.")
    assert texts(segmenter.segment(split)) == ["Staff are consulted on the plan", "the SENDCo reports to governors every term."]
    same_thing = "The plan is shared with staff, and the plan is reviewed every term."
    assert texts(segmenter.segment(Document("d", same_thing))) == [same_thing]


def test_coordination_without_a_new_subject_stays_one_unit(segmenter):
    doc = Document("d", "Develop subject leaders to support assessment, curriculum and resources.")
    assert texts(segmenter.segment(doc)) == ["Develop subject leaders to support assessment, curriculum and resources."]


def test_list_items_and_table_cells_are_separate_units(segmenter):
    text = "All school leaders should:\n- track attendance of pupils with SEND\n- meet parents every term\nValues matter here\tStaff share the vision"
    units = segmenter.segment(Document("d", text))
    assert texts(units) == ["track attendance of pupils with SEND", "meet parents every term",
                            "Values matter here", "Staff share the vision"]
    assert all(text[u.start:u.end] == u.text for u in units)


def test_lines_ending_in_a_colon_only_introduce_and_are_not_units(segmenter):
    text = "Leaders ensure that:\n1.1 Staff know the pupils.\nDate completed:\n**Evidence might include:**\nminutes of meetings held"
    assert texts(segmenter.segment(Document("d", text))) == ["Staff know the pupils.", "minutes of meetings held"]


def test_fragments_too_short_to_hold_an_idea_are_dropped(segmenter):
    assert texts(segmenter.segment(Document("d", "Headteacher\n\n12\n\nThe school is inclusive."))) == ["The school is inclusive."]


HEADING_VARIANTS = [
    # (line as a report writes it, the table's row it matches, section)
    ("Strengths", "strengths", Section.STRENGTH), ("Strength:", "strength", Section.STRENGTH),
    ("**Key strengths**", "key strengths", Section.STRENGTH), ("MAIN STRENGTHS", "main strengths", Section.STRENGTH),
    ("## Particular strengths", "particular strengths", Section.STRENGTH),
    ("Strengths identified:", "strengths identified", Section.STRENGTH),
    ("1. Areas of strength", "areas of strength", Section.STRENGTH), ("Area of Strength", "area of strength", Section.STRENGTH),
    ("Areas of particular strength", "areas of particular strength", Section.STRENGTH),
    ("### Key areas of strength", "key areas of strength", Section.STRENGTH),
    ("## Strengths observed", "strengths observed", Section.STRENGTH),
    ("What is working well?", "what is working well", Section.STRENGTH),
    ("What’s working well", "what's working well", Section.STRENGTH),
    ("What is going well", "what is going well", Section.STRENGTH), ("**What went well:**", "what went well", Section.STRENGTH),
    ("WWW", "www", Section.STRENGTH),
    ("## Areas for development:", "areas for development", Section.DEVELOPMENT),
    ("Area for development", "area for development", Section.DEVELOPMENT),
    ("2. Areas for further development", "areas for further development", Section.DEVELOPMENT),
    ("Key areas for development", "key areas for development", Section.DEVELOPMENT),
    ("Areas of development", "areas of development", Section.DEVELOPMENT),
    ("Areas to develop", "areas to develop", Section.DEVELOPMENT), ("Areas to improve", "areas to improve", Section.DEVELOPMENT),
    ("AREAS FOR IMPROVEMENT", "areas for improvement", Section.DEVELOPMENT),
    ("Development areas", "development areas", Section.DEVELOPMENT), ("Development points:", "development points", Section.DEVELOPMENT),
    ("Even better if", "even better if", Section.DEVELOPMENT), ("**EBI**", "ebi", Section.DEVELOPMENT),
    ("Areas for consideration", "areas for consideration", Section.DEVELOPMENT),
    ("Points for reflection", "points for reflection", Section.DEVELOPMENT),
    ("Areas for reflection:", "areas for reflection", Section.DEVELOPMENT),
    ("# Challenges", "challenges", Section.DEVELOPMENT), ("Key challenges", "key challenges", Section.DEVELOPMENT),
    ("3. Concerns", "concerns", Section.DEVELOPMENT),
    ("### Next steps", "next steps", Section.RECOMMENDATION), ("Actions", "actions", Section.RECOMMENDATION),
    ("Actions agreed", "actions agreed", Section.RECOMMENDATION), ("**Agreed actions:**", "agreed actions", Section.RECOMMENDATION),
    ("Action points", "action points", Section.RECOMMENDATION), ("Priority actions", "priority actions", Section.RECOMMENDATION),
    ("PRIORITIES", "priorities", Section.RECOMMENDATION),
    ("Priorities (next 12 months)", "priorities", Section.RECOMMENDATION),
    ("Priorities for action", "priorities for action", Section.RECOMMENDATION),
    ("Recommendations", "recommendations", Section.RECOMMENDATION), ("3) Recommendation", "recommendation", Section.RECOMMENDATION),
    ("Key recommendations", "key recommendations", Section.RECOMMENDATION),
    ("Recommendations for action", "recommendations for action", Section.RECOMMENDATION),
    ("Recommended actions:", "recommended actions", Section.RECOMMENDATION),
    ("Recommended next steps", "recommended next steps", Section.RECOMMENDATION),
    ("**Suggested next steps**", "suggested next steps", Section.RECOMMENDATION),
    ("## Where next?", "where next", Section.RECOMMENDATION),
    ("Introduction", "introduction", None), ("## Context", "context", None), ("School context", "school context", None),
    ("Background:", "background", None), ("**Summary**", "summary", None), ("Overview", "overview", None),
    ("Appendix", "appendix", None),
]


@pytest.mark.parametrize("line, row, section", HEADING_VARIANTS)
def test_section_heading_variants(line, row, section):
    assert normalise(line) == row
    heading = classify_heading(line)
    assert heading is not None and heading.section is section and heading.text_start is None


def test_every_row_of_the_heading_table_has_a_variant_above():
    assert set(heading_table()) == {row for _, row, _ in HEADING_VARIANTS}


HEADING_CUES = [  # (an unknown heading, the cue in it, its section): one example per row of heading_cues.tsv
    ("## Where we are strong", "strong", Section.STRENGTH), ("Strongest practice", "strongest", Section.STRENGTH),
    ("Whole-school strengths noted", "strengths", Section.STRENGTH), ("The good stuff", "good", Section.STRENGTH),
    ("**Positive practice**", "positive", Section.STRENGTH), ("### Positives", "positives", Section.STRENGTH),
    ("Successes this year", "successes", Section.STRENGTH), ("Things to celebrate", "celebrate", Section.STRENGTH),
    ("Celebrating inclusion", "celebrating", Section.STRENGTH), ("Visit highlights", "highlights", Section.STRENGTH),
    ("Praise from families", "praise", Section.STRENGTH), ("## Going well so far", "going well", Section.STRENGTH),
    ("What went well overall", "went well", Section.STRENGTH), ("Practice working well", "working well", Section.STRENGTH),
    ("### What's working", "what's working", Section.STRENGTH), ("What is working for pupils", "what is working", Section.STRENGTH),
    ("Well done", "well done", Section.STRENGTH),
    ("Our main concern", "concern", Section.DEVELOPMENT), ("Reviewer concerns", "concerns", Section.DEVELOPMENT),
    ("One worry", "worry", Section.DEVELOPMENT), ("Worries", "worries", Section.DEVELOPMENT),
    ("A weakness", "weakness", Section.DEVELOPMENT), ("Weaknesses found", "weaknesses", Section.DEVELOPMENT),
    ("3. Issues raised", "issues", Section.DEVELOPMENT), ("Current challenges faced", "challenges", Section.DEVELOPMENT),
    ("Risks to provision", "risks", Section.DEVELOPMENT), ("### Red flags", "flags", Section.DEVELOPMENT),
    ("Gaps in provision", "gaps", Section.DEVELOPMENT), ("Room for improvement", "improvement", Section.DEVELOPMENT),
    ("Improvements needed", "improvements", Section.DEVELOPMENT), ("What to improve", "to improve", Section.DEVELOPMENT),
    ("It would be even better", "even better", Section.DEVELOPMENT), ("Less strong areas", "less strong", Section.DEVELOPMENT),
    ("Not yet secure", "not yet", Section.DEVELOPMENT),
    ("To work on this term", "to work on", Section.DEVELOPMENT), ("EBI from the visit", "ebi", Section.DEVELOPMENT),
    ("What we recommend", "recommend", Section.RECOMMENDATION), ("Recommended for the governors", "recommended", Section.RECOMMENDATION),
    ("Our recommendations in brief", "recommendations", Section.RECOMMENDATION),
    ("Action for the SLT", "action", Section.RECOMMENDATION), ("Early actions for leaders", "actions", Section.RECOMMENDATION),
    ("Our top priority", "priority", Section.RECOMMENDATION), ("Shared priorities now", "priorities", Section.RECOMMENDATION),
    ("For the SLT to consider", "consider", Section.RECOMMENDATION), ("Reviewer suggestions", "suggestions", Section.RECOMMENDATION),
    ("Suggested steps", "suggested", Section.RECOMMENDATION), ("Targets for spring", "targets", Section.RECOMMENDATION),
    ("To do before March", "to do", Section.RECOMMENDATION), ("The way forward", "way forward", Section.RECOMMENDATION),
    ("Going forward", "going forward", Section.RECOMMENDATION), ("What I'd do next", "do next", Section.RECOMMENDATION),
    ("## What next for us", "what next", Section.RECOMMENDATION),
]


@pytest.mark.parametrize("line, cue, section", HEADING_CUES)
def test_an_unknown_heading_takes_the_section_its_cue_words_name(line, cue, section):
    assert normalise(line) not in heading_table() and cue in normalise(line)
    assert classify_heading(line, "- an item follows") == Heading(section)


def test_every_cue_has_an_example_above():
    assert set(heading_cues()) == {cue for _, cue, _ in HEADING_CUES}


@pytest.mark.parametrize("line, section", [
    ("Working with parents and pupils", None), ("**Westbury Green**", None), ("Leadership and vision", None),
    ("**Section E: Outcomes and barriers**", None), ("7. Families, pupils and next steps after the PRU", None),
    ("Strengths and concerns", None), ("Good practice, and actions", None),
    ("3. Identification, systems, statutory – RED", Section.DEVELOPMENT),
    ("2. Teaching + curriculum – AMBER/RED", Section.DEVELOPMENT), ("5. Partnerships – GREEN", Section.STRENGTH),
    ("1. Leadership + vision – AMBER", Section.DEVELOPMENT), ("Outcomes - amber / green", None),
    ("GREEN – secure, keep doing", Section.STRENGTH), ("RED – urgent", Section.DEVELOPMENT),
    ("Strengths to build on", Section.STRENGTH), ("Leaders should focus on", None),
])
def test_topics_cues_of_two_sections_and_rag_ratings(line, section):
    heading = classify_heading(line, "- an item follows")
    assert (heading.section if heading else None) is section
    assert set(RAG_RATINGS.values()) == {*Section, None} - {Section.RECOMMENDATION}


def test_a_numbered_heading_before_a_paragraph_needs_to_name_its_section(segmenter):
    paragraph = "Leaders know the pupils well and staff described a clear plan for each of them, reviewed every term."
    text = f"2. Findings: strengths\n\n{paragraph}\n\n3. Findings\n\n{paragraph}\n"
    units = segmenter.segment(Document("d", text))
    assert [(u.text, u.section) for u in units] == [(paragraph, "strength"), (paragraph, "strength")]


def test_a_table_header_row_under_a_heading_keeps_its_section(segmenter):
    text = "### Suggested actions\n\nAction\tLead\tBy when\nWrite a transition plan for every leaver\tSENDCo\tMay\n"
    units = segmenter.segment(Document("d", text))
    assert ("Write a transition plan for every leaver", "recommendation") in [(u.text, u.section) for u in units]


LONG_PARAGRAPH = ("Reintegration into mainstream school is the stated aim for every pupil in key stage 3, yet only three "
                  "returned last year, and several arrived without their plans or their most recent annual review, "
                  "so staff spent their first weeks finding out what the previous school already knew.")


@pytest.mark.parametrize("line, section, text", [
    ("Strengths: pupils are known well by every adult.", Section.STRENGTH, "pupils are known well by every adult."),
    ("**EBI:** tracking of small steps were sharper.", Section.DEVELOPMENT, "tracking of small steps were sharper."),
    ("Next steps - review the offer for pupils with autism.", None, None),
    ("Actions agreed: the SENCo to meet parents termly.", Section.RECOMMENDATION, "the SENCo to meet parents termly."),
    ("Concerns: " + LONG_PARAGRAPH, Section.DEVELOPMENT, LONG_PARAGRAPH),
    ("Where we are strong: every class has a visual timetable.", Section.STRENGTH, "every class has a visual timetable."),
    ("What we will do next: trial a quieter sitting.", Section.RECOMMENDATION, "trial a quieter sitting."),
    ("Must do: meet the family this week.", None, None),
])
def test_a_heading_may_open_a_line_of_text(line, section, text):
    heading = classify_heading(line)
    if text is None:
        assert heading is None
    else:
        assert heading.section is section and line[heading.text_start:] == text


def test_a_label_heading_sets_the_section_and_stays_inside_its_unit(segmenter):
    text = "WWW: head clear that SEND is everyone's job\nEBI: interventions logged but impact not checked\n"
    units = segmenter.segment(Document("d", text))
    assert [(u.text, u.section) for u in units] == [("WWW: head clear that SEND is everyone's job", "strength"),
                                                    ("EBI: interventions logged but impact not checked", "development")]


def test_a_short_line_a_list_follows_is_an_unknown_heading_that_ends_the_section(segmenter):
    text = ("Strengths\n- Parents are partners in planning.\nLeadership and vision\n- The head sets out a clear vision.\n"
            "All school leaders should:\n- meet the parents of pupils with SEND every term\n")
    units = segmenter.segment(Document("d", text))
    assert [(u.text, u.section) for u in units] == [
        ("Parents are partners in planning.", "strength"), ("The head sets out a clear vision.", None),
        ("meet the parents of pupils with SEND every term", None)]


@pytest.mark.parametrize("line, section", [
    ("## Trust-wide strengths", Section.STRENGTH), ("PRIORITIES FOR IMPROVEMENT", Section.RECOMMENDATION),
    ("**Recommendations for the governing body**", Section.RECOMMENDATION),
    ("### Strengths and next steps", None), ("## Summary of the visit", None), ("## Reflections from the visit", None),
])
def test_an_unknown_heading_takes_the_section_of_a_row_it_opens_or_closes_with(line, section):
    assert classify_heading(line) == Heading(section)


def test_a_short_line_in_capitals_is_a_heading_and_other_short_lines_are_text():
    assert classify_heading("SCHOOL PROFILE") == Heading(None)
    assert classify_heading("Leadership and vision", "The head sets out a clear vision.") is None
    assert classify_heading("Leaders should:", "- meet parents") is None


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
    assert "SEND Peer Challenge report" not in [u.text for u in units]  # the title: not a unit
    assert {u.section for u in units} == {"strength", "development", "recommendation"}
    assert all(document.text[u.start:u.end] == u.text for u in units)


@pytest.mark.parametrize("text", [
    "TAs are valued and many are skilled, but their deployment is largely historical.",
    "Attainment rose in 2022 but it fell back in 2023.",
    "Leaders know the school well and they act quickly on what they find.",
])
def test_coordinated_clauses_whose_subject_points_back_stay_one_unit(segmenter, text):
    assert texts(segmenter.segment(Document("d", text))) == [text]


def test_two_ideas_joined_by_a_comma_and_while_are_split(segmenter):
    doc = Document("d", "Parents value the support, while governors are not yet clear about their role.")
    assert texts(segmenter.segment(doc)) == ["Parents value the support", "while governors are not yet clear about their role."]
    doc = Document("d", "While attendance has improved, the SEND register is out of date.")
    assert texts(segmenter.segment(doc)) == ["While attendance has improved", "the SEND register is out of date."]


def test_clause_rules_can_be_switched_off():
    segmenter = Segmenter(SegmenterConfig(clauses=ClauseRules(semicolon=False, coordinated=False, contrast=False)))
    text = "Staff are consulted on the plan, and the SENDCo reports to governors; parents are kept informed, while governors visit."
    assert texts(segmenter.segment(Document("d", text))) == [text]


def test_a_paragraph_over_a_megabyte_is_segmented_with_offsets_intact(segmenter):
    sentence = "Pupils with SEND are known well by the staff who teach them every day. "
    text = "# Report\n" + sentence * (1_200_000 // len(sentence)) + "\nThe review ends here."
    assert len(text) > segmenter.nlp.max_length
    units = segmenter.segment(Document("big", text))
    assert len(units) == text.count(sentence) + 1
    assert all(text[u.start:u.end] == u.text for u in units)
    assert units[-1].text == "The review ends here."


def test_an_over_long_block_is_cut_between_words_when_no_sentence_ends():
    segmenter = Segmenter(SegmenterConfig(max_chars=1_000))
    text = " ".join(["provision"] * 500)  # 4,999 characters, no punctuation at all
    units = segmenter.segment(Document("d", text))
    assert len(units) == 5 and all(len(u.text) <= 1_000 for u in units)
    assert all(text[u.start:u.end] == u.text for u in units)
    assert " ".join(u.text for u in units) == text


def test_safe_pieces_prefer_sentence_ends():
    text = "First sentence here. Second one is longer than that! Third"
    pieces = safe_pieces(text, 30)
    assert [text[a:b] for a, b in pieces] == ["First sentence here. ", "Second one is longer than ", "that! Third"]


def test_lines_in_another_script_or_language_are_kept_and_named_in_a_warning(segmenter):
    text = ("## Strengths\n- Parents are partners in planning.\n- يتم دعم التلاميذ بشكل جيد من قبل الموظفين\n"
            "- 家长们对学校的支持非常满意\n- Mae'r disgyblion yn cael eu cefnogi'n dda gan y staff\n"
            "- Strong SENCo leadership\n")
    units = segmenter.segment(Document("d", text))
    assert [u.section for u in units] == ["strength"] * 5
    warnings = language_warnings("reports/oak.md", text, units)
    assert [w.split(": unit in ")[0] for w in warnings] == ["reports/oak.md:3", "reports/oak.md:4", "reports/oak.md:5"]
    assert "Arabic script" in warnings[0] and "CJK script" in warnings[1] and "'cy'" in warnings[2]


def test_a_numbered_line_above_its_own_first_item_is_a_heading_even_with_a_comma(segmenter):
    text = ("2. Families, pupils and next steps\n2.1 How do parents hear about progress?\n"
            "3. Actions reviewed this term\n4. The plan is shared with staff\n")
    assert texts(segmenter.segment(Document("d", text))) == [
        "How do parents hear about progress?", "Actions reviewed this term", "The plan is shared with staff"]


def test_a_bracketed_qualifier_does_not_make_a_heading_too_long_to_be_one():
    line = "Summary of the visit (agreed with the headteacher and the chair, 12 May)\n"
    assert classify_heading(line, "What went well", standalone=True) == Heading(None)


@pytest.mark.parametrize("line", ["Signed: Headteacher (Oak Lane), Headteacher (Elm Park)",
                                  "Signed (SEND governor): A. Patel, chair of the committee",
                                  "Prepared by: director of inclusion"])
def test_signature_lines_are_not_units(segmenter, line):
    assert segmenter.segment(Document("d", f"The plan is shared with staff.\n{line}\n")) == [
        segmenter.segment(Document("d", "The plan is shared with staff."))[0]]


def test_a_quantifier_before_a_noun_opens_a_clause_of_its_own(segmenter):
    text = "Pupils said that adults listen to them, while one girl said that the quiet room helps her every day."
    assert texts(segmenter.segment(Document("d", text))) == [
        "Pupils said that adults listen to them", "while one girl said that the quiet room helps her every day."]
    alone = "Most parents felt informed about the changes, while two said they had not been told in time."
    assert texts(segmenter.segment(Document("d", alone))) == [alone]


def test_a_semicolon_in_a_sentence_before_a_clause_that_points_back_is_kept(segmenter):
    text = "Pupils join mainstream classes for some lessons; most staff know them by name."
    assert texts(segmenter.segment(Document("d", text))) == [text]


def test_a_notes_line_of_figures_stays_one_unit_and_findings_with_figures_split(segmenter):
    facts = "58 on roll (cap 64); 71% on the SEN register; 12 with EHCPs"
    assert texts(segmenter.segment(Document("d", facts))) == [facts]
    findings = "SENDCo visited all 19 feeder schools; 26 pupils had extra visits"
    assert texts(segmenter.segment(Document("d", findings))) == ["SENDCo visited all 19 feeder schools",
                                                                 "26 pupils had extra visits"]
