"""Tests for newsbot.search.hybrid: score fusion and the "answered" decision."""

from __future__ import annotations

import math

import numpy as np
import pytest

from newsbot.search.answer import answer_evidence, question_names
from newsbot.search.evidence import QueryTerm
from newsbot.search.hybrid import (
    FEATURES,
    absent_names,
    answer_features,
    decide,
    fuse,
    logit,
    margin,
    missing_names,
    name_absent,
    names_share,
    rare_missing,
)
from newsbot.search.text import terms
from newsbot.service import Newsbot


def test_fuse_mixes_min_max_normalized_scores() -> None:
    fused = fuse([3.0, 2.0, 1.0], np.array([0.80, 0.90, 0.85], dtype=np.float32), a=0.6)
    assert fused == pytest.approx([0.4, 0.6 * 1 + 0.4 * 0.5, 0.6 * 0.5])


def test_a_candidate_without_a_vector_keeps_its_lexical_share() -> None:
    fused = fuse([3.0, 2.0, 1.0], np.array([0.80, np.nan, 0.90], dtype=np.float32), a=0.6)
    assert fused[1] == pytest.approx(0.5)
    assert fused[2] == pytest.approx(0.6)
    # One vector alone can't be normalized against anything: lexical order stays.
    assert fuse([2.0, 1.0], np.array([np.nan, 0.9], dtype=np.float32)) == pytest.approx([1, 0])


def query(*words: tuple[str, float]) -> list[QueryTerm]:
    return [QueryTerm(w, idf, i, "exact", idf, w) for i, (w, idf) in enumerate(words)]


def test_rare_missing_is_the_rarest_lacking_word_against_the_rarest_word() -> None:
    q = query(("price", 2.0), ("iphon", 8.0), ("new", 1.0))
    assert rare_missing(q, {"price", "iphon", "new"}) == 0.0
    assert rare_missing(q, {"price", "new"}) == 1.0  # the near miss: the name isn't there
    assert rare_missing(q, {"iphon"}) == pytest.approx(2.0 / 8.0)
    # A typo'd word is found when one of its corrections is.
    typo = [*q, QueryTerm("pricey", 1.5, 0, "typo", 8.0, "prise")]
    assert rare_missing(typo, {"pricey", "iphon", "new"}) == 0.0
    assert rare_missing([], set()) == 0.0


def test_margin_is_the_lead_over_the_best_other_cosine() -> None:
    assert margin([0.9, 0.8, math.nan, 0.85], 0) == pytest.approx(0.05)
    assert margin([0.9, 0.8, 0.85], 1) == pytest.approx(-0.1)
    assert margin([0.9, math.nan], 0) == 0.0


def test_without_the_top_passages_vector_the_lexical_rule_decides() -> None:
    assert decide(answer_features(0.7, [math.nan], 0, None, 0.0), 0.5).answered
    assert not decide(answer_features(0.3, [math.nan], 0, None, 0.0), 0.5).answered
    assert decide(answer_features(0.7, [math.nan], 0, None, 0.0), 0.5).confidence == (
        pytest.approx(0.7)
    )


def test_the_decision_reads_the_cosine_and_the_sentence() -> None:
    question = "How many days does the forum last?"
    passage = "The forum opened in Beijing. It is a five-day discussion of technology."
    evidence = answer_evidence(question, passage)
    assert evidence is not None and evidence.type_expected and evidence.type_found
    values = answer_features(0.4, [0.85, 0.80], 0, evidence, 0.0)
    features = dict(zip(FEATURES, values, strict=True))
    assert features["lexical"] == pytest.approx(logit(0.4))
    assert features["cosine"] == pytest.approx(0.85)
    assert features["margin"] == pytest.approx(0.05)
    assert features["type_missing"] == 0.0  # the number is there
    assert features["negation_missing"] == 0.0
    high = decide(answer_features(0.9, [0.90, 0.80], 0, evidence, 0.0), 0.5)
    low = decide(answer_features(0.05, [0.70, 0.80], 0, evidence, 1.0), 0.5)
    assert high.answered and not low.answered
    assert 0.0 <= low.confidence < high.confidence <= 1.0


def test_a_near_miss_is_less_sure_than_the_answer() -> None:
    """Same cosines, same lexical confidence: the passage about another model (one number
    differs) is less sure than the one about the model asked for."""
    question = "What is the price of the Pixel 9?"
    q = [
        QueryTerm("price", 2.0, 0, "exact", 2.0, "price"),
        QueryTerm("pixel", 5.0, 1, "exact", 5.0, "pixel"),
        QueryTerm("9", 4.0, 2, "exact", 4.0, "9"),
    ]
    names = question_names(question)
    assert names == {"pixel", "9"}
    decisions = []
    for passage in ("The Pixel 9 costs 799 dollars.", "The Pixel 8 costs 699 dollars."):
        matched = set(terms(passage))
        share = names_share(q, matched, names)
        evidence = answer_evidence(question, passage)
        features = answer_features(0.8, [0.86, 0.80], 0, evidence, rare_missing(q, matched), share)
        decisions.append(decide(features, 0.5))
    assert names_share(q, set(terms("The Pixel 8 costs 699 dollars.")), names) == 0.5
    assert decisions[1].confidence < decisions[0].confidence


def test_name_absent_is_a_name_the_whole_article_lacks() -> None:
    # "how many 787s did qatar airways order" on Emirates' order: the article never says Qatar.
    q = [
        QueryTerm("787s", 5.0, 2, "exact", 5.0, "787s"),
        QueryTerm("qatar", 6.0, 4, "exact", 6.0, "qatar", capitalised=1.0),
        QueryTerm("airway", 4.0, 5, "exact", 4.0, "airways", capitalised=0.9),
        QueryTerm("order", 2.0, 6, "exact", 2.0, "order", capitalised=0.1),
    ]
    names = question_names("how many 787s did qatar airways order")
    emirates = {"787s", "airway", "order", "emir"}
    assert name_absent(q, emirates.__contains__, names) == 1.0
    assert name_absent(q, (emirates | {"qatar"}).__contains__, names) == 0.0
    # "order" is not a name: an article that lacks it is no near miss.
    assert name_absent(q, {"787s", "qatar", "airway"}.__contains__, names) == 0.0


def test_a_number_in_digits_is_held_by_the_words_it_is_spelled_with() -> None:
    # "the 5-day forum" where the corpus has a "5" elsewhere, and this article says "five-day".
    q = [QueryTerm("5", 3.0, 3, "exact", 3.0, "5"), QueryTerm("day", 1.0, 4, "exact", 1.0, "day")]
    names = question_names("How long is the 5-day forum?")
    assert absent_names(q, {"five", "day"}.__contains__, names) == []
    assert absent_names(q, {"day"}.__contains__, names) == ["5"]
    assert missing_names(q, {"fifth", "day"}, names) == []
    assert missing_names(q, {"six", "day"}, names) == ["5"]


def test_a_patronymic_between_two_held_names_is_not_another_person() -> None:
    # "Когда Казимир Северинович Малевич написал ...?" of an article that writes "Казимир
    # Малевич", as Russian news usually does; a patronymic alone, or a middle word that isn't
    # one, still vetoes ("North Carolina State" on North Dakota State).
    question = "Когда Казимир Северинович Малевич написал картину?"
    names = question_names(question)
    q = [
        QueryTerm("казимир", 5.0, 1, "exact", 5.0, "казимир", capitalised=1.0),
        QueryTerm("северинович", 6.0, 2, "exact", 6.0, "северинович", capitalised=1.0),
        QueryTerm("малевич", 5.0, 3, "exact", 5.0, "малевич", capitalised=1.0),
        QueryTerm("картин", 2.0, 5, "exact", 2.0, "картину"),
    ]
    article = {"казимир", "малевич", "картин"}
    assert absent_names(q, article.__contains__, names) == []
    assert absent_names(q, {"малевич", "картин"}.__contains__, names) == ["казимир", "северинович"]
    state = [
        QueryTerm("north", 3.0, 2, "exact", 3.0, "north", capitalised=0.9),
        QueryTerm("carolina", 6.0, 3, "exact", 6.0, "carolina", capitalised=1.0),
        QueryTerm("state", 2.0, 4, "exact", 2.0, "state", capitalised=0.9),
    ]
    held = {"north", "state"}.__contains__
    assert absent_names(state, held, {"north", "carolina", "state"}) == ["carolina"]


def test_name_absent_leaves_out_years_russian_question_words_and_single_letters() -> None:
    # A paragraph on "this season" answers "Who led the 2015 season?"; "Кто" opens a question
    # with a capital, and a small corpus may write it so after a comma too.
    q = [
        QueryTerm("2015", 4.0, 4, "exact", 4.0, "2015"),
        QueryTerm("season", 2.0, 5, "exact", 2.0, "season"),
        QueryTerm("кто", 1.0, 0, "exact", 1.0, "кто", capitalised=1.0),
    ]
    names = question_names("Кто led the 2015 season?") | {"2015"}
    assert name_absent(q, {"season"}.__contains__, names) == 0.0
    # Nor a single letter: the "U" of "U.S." where the article writes "US".
    u = [QueryTerm("u", 1.0, 3, "exact", 1.0, "u", capitalised=1.0), *q[1:]]
    assert name_absent(u, {"season"}.__contains__, {"u"}) == 0.0
    assert name_absent([*u, QueryTerm("9", 3.0, 6, "exact", 3.0, "9")], set().__contains__, {"9"})


def test_name_absent_forgives_a_typo_in_the_name() -> None:
    q = [
        QueryTerm("katharina", 3.0, 0, "typo", 6.0, "katharnia"),
        QueryTerm("catharina", 2.0, 0, "typo", 6.0, "katharnia"),
        QueryTerm("luther", 2.0, 1, "exact", 2.0, "luther"),
    ]
    names = {"katharnia", "luther"}
    assert name_absent(q, {"catharina", "luther"}.__contains__, names) == 0.0
    assert name_absent(q, {"luther"}.__contains__, names) == 1.0


def test_a_name_the_article_lacks_vetoes_the_answer() -> None:
    """However close the cosine and sure the lexical stage, and without vectors too."""
    question = "What is the price of the Pixel 9?"
    evidence = answer_evidence(question, "The Pixel 9 costs 799 dollars.")
    absent = FEATURES.index("name_absent")
    for cosines in ([0.95, 0.80], [math.nan]):
        features = answer_features(0.99, cosines, 0, evidence, 0.0)
        assert features[absent] == 0.0 and decide(features, 0.5).answered
        features[absent] = 1.0
        vetoed = decide(features, 0.5)
        assert not vetoed.answered and vetoed.confidence < 0.01


def test_names_share_forgives_a_typo_in_the_name() -> None:
    q = [
        QueryTerm("katharina", 3.0, 0, "typo", 6.0, "katharnia"),
        QueryTerm("luther", 2.0, 1, "exact", 2.0, "luther"),
    ]
    assert names_share(q, {"katharina", "luther"}, {"katharnia", "luther"}) == 1.0
    assert names_share(q, {"luther"}, {"katharnia", "luther"}) == 0.5
    assert names_share(q, {"luther"}, set()) == 1.0  # no names asked


def test_a_word_the_corpus_writes_as_a_name_is_one_in_a_lowercase_question() -> None:
    # "lowes third quarter revenue": no capital in the question, but the articles write
    # "Lowe's"; a passage about Home Depot's revenue lacks the name asked for.
    q = [
        QueryTerm("low", 6.0, 0, "exact", 6.0, "lowes", capitalised=0.9),
        QueryTerm("quarter", 2.0, 2, "exact", 2.0, "quarter", capitalised=0.1),
        QueryTerm("revenu", 2.0, 3, "exact", 2.0, "revenue"),
    ]
    names = question_names("lowes third quarter revenue")
    assert names == set()
    assert names_share(q, {"quarter", "revenu"}, names) == 0.0
    assert names_share(q, {"low", "quarter", "revenu"}, names) == 1.0
    assert names_share(q, {"quarter", "revenu"}, names, capitalised=0.95) == 1.0


def test_missing_names_are_the_question_words_as_written_that_nothing_found_holds() -> None:
    q = [
        QueryTerm("katharina", 3.0, 0, "typo", 6.0, "katharnia"),
        QueryTerm("katharin", 3.0, 0, "typo", 6.0, "katharnia"),  # another correction
        QueryTerm("airway", 2.0, 1, "exact", 2.0, "airways", capitalised=0.1),
        QueryTerm("qatar", 5.0, 2, "exact", 5.0, "qatar", capitalised=0.9),
        QueryTerm("2019", 4.0, 3, "exact", 4.0, "2019"),
        QueryTerm("tng100", 7.0, 4, "unknown", 7.0, "tng100"),
    ]
    names = {"katharnia", "2019", "tng100"}
    assert missing_names(q, {"katharin", "airway", "qatar", "2019"}, names) == ["tng100"]
    assert missing_names(q, {"airway"}, names) == ["katharnia", "qatar", "2019", "tng100"]
    assert missing_names(q, {"katharina", "qatar", "2019", "tng100"}, set()) == []


async def test_a_hit_says_which_of_the_questions_names_its_article_lacks(seeded: Newsbot) -> None:
    near = await seeded.retriever.search("How many days does the Qatar forum last?")
    assert near.hits and all(h.missing == ("qatar",) for h in near.hits)
    # Typed in lowercase, a word no article has is missing too.
    assert (await seeded.retriever.search("how many days is the madagascar forum")).hits[
        0
    ].missing == ("madagascar",)
    # The seed's own names, and the title's ("Xi Jinping calls for ..."), are there.
    answered = await seeded.retriever.search("What did Xi Jinping say about Zhongguancun?")
    assert answered.hits and all(h.missing == () for h in answered.hits)


async def test_a_question_about_a_name_the_article_never_says_is_declined(
    seeded: Newsbot,
) -> None:
    # The seed's forum lasts five days; it is never called the Qatar forum.
    search = seeded.retriever.search
    assert (await search("How many days does the Zhongguancun forum last?")).answered
    assert not (await search("How many days does the Qatar forum last?")).answered
    declined = await search("How many days does the Qatar forum last?")
    assert declined.unmentioned == ("qatar",)  # what the decline reply names
    # "Beijing" is in another passage of the article than the answer's: still answered.
    near = await seeded.retriever.search("how many days does the beijing forum last")
    assert near.answered and "five-day" in near.hits[0].passage
    assert near.unmentioned == ()


async def test_a_number_typed_in_digits_finds_the_words_the_article_spells_it_with(
    seeded: Newsbot,
) -> None:
    # The seed's forum is "a five-day discussion": "5" is that five; "3" is no number it has.
    five = await seeded.retriever.search("How long is the 5-day forum?")
    assert five.answered and "five-day" in five.hits[0].passage and five.hits[0].missing == ()
    three = await seeded.retriever.search("How long is the 3-day forum?")
    assert not three.answered and three.unmentioned == ("3",)


async def test_a_measure_or_a_contraction_is_never_named_missing(seeded: Newsbot) -> None:
    # "whats" (what's typed without its apostrophe) and the measure of "how old / how big"
    # shape the question: no article writes them, and no answer needs to.
    for question in (
        "whats the theme of the zhongguancun forum",
        "how old is the zhongguancun forum",
        "how big is the zhongguancun forum",
        "how long does the zhongguancun forum last",
    ):
        hits = (await seeded.retriever.search(question)).hits
        assert hits and hits[0].missing == (), question
    # A word no article has still is.
    hits = (await seeded.retriever.search("whats the theme of the madagascar forum")).hits
    assert hits[0].missing == ("madagascar",)
