"""Loading and validating the rule book."""

from __future__ import annotations

import re
from datetime import date
from importlib.resources import files

import pytest

from bot.rules.book import (
    REQUIRED_RULES,
    REQUIRED_STAGES,
    UNVERIFIED_NOTE,
    RuleBookError,
    load_rulebook,
)

PACKAGED = files("bot.rules").joinpath("rulebook.toml").read_text(encoding="utf-8")


def test_packaged_book_loads_with_its_header(book):
    assert book.version
    assert book.effective == date(2025, 7, 1)
    assert book.document(book.based_on).title == "Quy định 294-QĐ/TW"
    assert "cấp ủy cấp trên trực tiếp" in book.decision_authority
    assert book.decision_authority_source.citation().startswith("Quy định 294-QĐ/TW")


def test_pipeline_and_terminal_codes_are_the_fixed_ones_in_order(book):
    assert book.pipeline_codes() == [
        "identified", "youth_introduced", "awareness_class_done", "application_filed",
        "background_verified", "introducers_recorded", "cell_voted", "committee_voted",
        "admission_decided", "ceremony_held", "new_member_class_done", "full_member",
    ]
    assert book.terminal_codes() == ["withdrawn", "not_admitted", "removed"]
    assert book.final_stage() == "full_member"
    assert all(book.stage(code).needs_reason for code in book.terminal_codes())


def test_every_stage_reference_resolves(book):
    for stage in book.stages:
        for ref in (*stage.requires, *stage.date_after, *stage.closed_by):
            assert book.has_stage(ref)


def test_every_rule_and_stage_source_cites_a_known_document(book):
    document_ids = {d.id for d in book.documents}
    sources = [r.source for r in book.rules] + [s.source for s in book.stages if s.source]
    for source in sources:
        assert source.document in document_ids
        assert source.citation().startswith(book.document(source.document).title)
    assert set(REQUIRED_RULES) <= {r.id for r in book.rules}


def test_unverified_rules_say_so_in_their_citation(book):
    unverified = [r for r in book.rules if r.source.confidence == "unverified"]
    assert {r.id for r in unverified} >= {"certificate_validity", "file_stale_after"}
    for rule in unverified:
        assert "cần kiểm tra lại văn bản gốc" in rule.source.citation()
        assert book.severity(rule.id) == "warn"
    assert UNVERIFIED_NOTE not in book.rule("ceremony_deadline").source.citation()


def test_citation_names_document_and_article(book):
    assert book.rule("ceremony_deadline").source.citation() == "Quy định 294-QĐ/TW, điểm 4.1"


def test_severity_follows_confidence_not_code(book):
    assert book.severity("min_age_at_vote") == "refuse"
    assert book.severity("probation_length") == "refuse"
    assert book.severity("max_age_at_vote") == "warn"
    confirmed = load_rulebook(_broken(
        'confidence = "unverified"\nnote = "Thời hạn 60 tháng',
        'confidence = "confirmed"\nnote = "Thời hạn 60 tháng',
    ))
    assert confirmed.severity("certificate_validity") == "refuse"


def test_rule_parameters_come_from_the_file(book):
    assert book.rule("min_age_at_vote").params["years"] == 18
    assert book.rule("max_age_at_vote").params["years"] == 60
    assert book.rule("certificate_validity").params["months"] == 60
    assert book.rule("file_stale_after").params["months"] == 12
    assert book.rule("decision_deadline").params["working_days"] == 60
    assert book.rule("decision_deadline").params["extension_working_days"] == 30
    assert book.rule("ceremony_deadline").params["working_days"] == 30
    assert book.rule("probation_length").params["months"] == 12
    assert book.rule("recognition_deadline").params["working_days"] == 30
    assert book.rule("introducer_min_months").params["months"] == 12
    assert book.rule("youth_membership_age").params == {"min_years": 16, "max_years": 30}


def test_models_are_frozen(book):
    with pytest.raises(Exception):
        book.version = "changed"  # type: ignore[misc]


def _broken(old: str, new: str) -> str:
    assert old in PACKAGED
    return PACKAGED.replace(old, new, 1)


def test_cycle_in_requires_is_reported_with_its_path():
    text = re.sub(r'(code = "identified".*\norder = 1\n)requires = \[\]',
                  r'\1requires = ["application_filed"]', PACKAGED)
    with pytest.raises(RuleBookError, match="cycle") as error:
        load_rulebook(text)
    assert "identified → application_filed → identified" in str(error.value)


def test_unknown_stage_reference_is_named():
    text = _broken('requires = ["committee_voted"]', 'requires = ["comittee_voted"]')
    with pytest.raises(RuleBookError, match="'admission_decided' requires unknown stage "
                                            "'comittee_voted'"):
        load_rulebook(text)


def test_unknown_stage_in_rule_parameters_is_named():
    text = _broken('to_stage = "ceremony_held"', 'to_stage = "ceremony"')
    with pytest.raises(RuleBookError, match="'ceremony_deadline' parameter 'to_stage' names "
                                            "unknown stage 'ceremony'"):
        load_rulebook(text)


def test_duplicate_stage_code_and_missing_rule_are_reported_together():
    text = _broken('code = "withdrawn"', 'code = "removed"')
    text = text.replace('id = "vote_threshold"', 'id = "vote_thresholds"')
    with pytest.raises(RuleBookError) as error:
        load_rulebook(text)
    message = str(error.value)
    assert "duplicate stage code 'removed'" in message
    assert "required stage 'withdrawn' is missing" in message
    assert "required rule 'vote_threshold' is missing" in message


def test_unknown_document_is_reported():
    text = _broken('source = { document = "dieu_le", article = "Điều 5, khoản 1" }',
                   'source = { document = "dieu_le_2030", article = "Điều 5, khoản 1" }')
    with pytest.raises(RuleBookError, match="rule 'probation_length' cites unknown document"):
        load_rulebook(text)


def test_magic_number_must_be_a_whole_number():
    text = _broken("working_days = 60", 'working_days = "sixty"')
    with pytest.raises(RuleBookError, match="'working_days' must be a whole number"):
        load_rulebook(text)


def test_misspelt_key_and_bad_toml_are_rejected():
    with pytest.raises(RuleBookError, match="wrong shape"):
        load_rulebook(_broken("doan_vien_only = true", "doanvien_only = true"))
    with pytest.raises(RuleBookError, match="not valid TOML"):
        load_rulebook(PACKAGED + "\n[[rules]\n")


def test_required_stage_codes_are_all_checked(book):
    assert set(REQUIRED_STAGES) == {s.code for s in book.stages}
