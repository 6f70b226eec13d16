"""The window of a passage an answer shows."""

from __future__ import annotations

from newsbot.conversation.snippet import MIN_WINDOW, WINDOW, best_sentence, snippet, window_for

SENTENCES = [f"Sentence number {n} says something about topic {n}." for n in range(20)]
PASSAGE = " ".join(SENTENCES)


def span_of(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def test_window_keeps_whole_sentences_around_the_answer() -> None:
    answer = span_of(PASSAGE, SENTENCES[10])
    shown = snippet(PASSAGE, answer)
    assert shown.trimmed and shown.text.startswith("… ") and shown.text.endswith(" …")
    assert len(shown.text) <= WINDOW + 4
    assert shown.bold is not None
    assert shown.text[shown.bold[0] : shown.bold[1]] == SENTENCES[10]
    body = shown.text.removeprefix("… ").removesuffix(" …")
    assert body in PASSAGE and body.startswith("Sentence") and body.endswith(".")
    assert SENTENCES[9] in body  # the sentence before comes first


def test_short_passages_whole_and_huge_sentences_cut() -> None:
    short = "One sentence. Two sentences."
    assert snippet(short, (0, 13)).text == short and not snippet(short, None).trimmed
    huge = "word " * 400 + "end."
    shown = snippet(huge, (0, len(huge)))
    assert shown.trimmed and len(shown.text) <= 2 * WINDOW + 2 and shown.text.endswith("…")
    start = snippet(PASSAGE, None)
    assert start.text.startswith(SENTENCES[0]) and start.bold is None


def test_best_sentence_has_the_most_matched_words_and_prefers_sentences() -> None:
    text = "Zhongguancun, China's Silicon Valley\nThe companies in Zhongguancun grew. Other."
    spans = [span_of(text, "Zhongguancun"), (text.rindex("Zhongguancun"), text.rindex(" grew"))]
    assert best_sentence(text, spans) == span_of(text, "The companies in Zhongguancun grew.")
    assert best_sentence(text, []) is None
    assert window_for(3, 700, 100) == 200 and window_for(3, 300, 200) == MIN_WINDOW
