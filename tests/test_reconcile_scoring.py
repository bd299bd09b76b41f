"""Name matching for reconciliation: accents, case, punctuation, acronyms, token sets."""

from __future__ import annotations

import pytest

from wopgraph.reconcile.scoring import Name, normalize, retrieval_keys, similarity, tokens

ONEE_OFFICIAL = "Office National de l'Électricité et de l'Eau Potable"


def sim(a: str, b: str):
    return similarity(Name.of(a), Name.of(b))


def test_normalize_drops_accents_case_and_punctuation():
    assert normalize("l'Électricité–ÉAU") == "l electricite eau"
    assert normalize("  UN-Habitat  ") == "un habitat"


def test_function_words_do_not_count_but_un_does():
    assert tokens(ONEE_OFFICIAL) == ("office", "national", "electricite", "eau", "potable")
    assert tokens("UN-Habitat") == ("un", "habitat")
    assert tokens("de la") == ("de", "la"), "a name of function words only keeps them"


@pytest.mark.parametrize(
    ("query", "name", "feature"),
    [
        ("Office National de l'Electricite et de l'Eau Potable", ONEE_OFFICIAL, "exact"),
        ("onee", "ONEE", "exact"),
        ("UNHabitat", "UN-Habitat", "compact"),
        ("Office national, eau potable", "Office National de l'Eau Potable", "words"),
    ],
)
def test_same_name_written_differently_is_strong(query, name, feature):
    found = sim(query, name)
    assert found.feature == feature and found.strong and found.score >= 0.97


def test_acronym_matches_its_full_name_and_back():
    gwopa = "Global Water Operators' Partnership Alliance"
    assert sim("GWOPA", gwopa).feature == "acronym" and sim("GWOPA", gwopa).strong
    assert sim(gwopa, "GWOPA").feature == "acronym", "the full name finds the acronym"
    siaap = "Syndicat Interdépartemental pour l'Assainissement de l'Agglomération Parisienne"
    assert sim("siaap", siaap).score >= 0.95


def test_acronym_may_leave_out_one_last_word():
    # ONEE: Office National de l'Électricité et de l'Eau (Potable).
    found = sim("ONEE", ONEE_OFFICIAL)
    assert found.feature == "acronym" and 0.8 <= found.score < 0.95 and not found.strong


def test_partial_name_scores_by_shared_words():
    partial = sim("Office National de l'Electricite", ONEE_OFFICIAL)
    assert partial.feature == "tokens" and 0.6 < partial.score < 0.9
    assert sim("Office Nationale de l'Eau Potable", "Office National de l'Eau Potable").score > 0.9


def test_unrelated_names_score_low():
    assert sim("Zyxwvut Qwerty", ONEE_OFFICIAL).score < 0.2
    assert sim("SIAAP", ONEE_OFFICIAL).score == 0.0


def test_retrieval_keys_meet_for_acronyms_and_variants():
    assert retrieval_keys(Name.of("ONEE")) & retrieval_keys(Name.of(ONEE_OFFICIAL))
    assert retrieval_keys(Name.of("Nationale")) & retrieval_keys(Name.of("National"))
