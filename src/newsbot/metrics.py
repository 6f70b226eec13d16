"""Prometheus metrics (served at /metrics by the bot's web server): questions, the share
answered, answer latency, digests sent, Telegram's 429s, how far the search index has got.
Nothing here knows about Telegram."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

QUESTIONS = Counter(
    "newsbot_questions", "Questions answered or not", ["answered"]
)  # exposed as newsbot_questions_total{answered="true"|"false"}
ANSWER_SECONDS = Histogram(
    "newsbot_answer_seconds",
    "Time to answer a question (search and rerank)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
DIGESTS_SENT = Counter("newsbot_digests_sent", "Digests delivered")
RATE_LIMITED = Counter("newsbot_telegram_429", "Telegram answers 429 Too Many Requests")
INDEX_NEWEST = Gauge(
    "newsbot_index_newest_passage",
    "The newest passage id in this process's search index (replicas that agree show the same)",
)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
