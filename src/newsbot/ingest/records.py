"""The JSON article format of PRODUCT.md, in one place: what `ingest --jsonl` reads, what
`export` writes (the same shape, so an export ingests back), what `articles --json` lists and
what `ask --json` answers. The CLI only prints these; the format is tested here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newsbot.errors import IngestError
from newsbot.ingest.text import ExtractedArticle

if TYPE_CHECKING:
    from newsbot.db.articles import ArticleInfo, StoredArticle
    from newsbot.search.retriever import SearchResult

__all__ = ["answer_json", "article_from_json", "export_json", "listing_json"]

_OPTIONAL_STRINGS = ("url", "site", "author", "language")


def article_from_json(record: object) -> tuple[ExtractedArticle, list[str] | None]:
    """A PRODUCT.md JSON article (export's `passages` are kept as they are)."""
    if not isinstance(record, dict):
        raise IngestError(f"expected a JSON object, got {type(record).__name__}")
    body = _text(record)
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        raise IngestError('"title" must be a non-empty string')
    for key in _OPTIONAL_STRINGS:
        if record.get(key) is not None and not isinstance(record[key], str):
            raise IngestError(f'"{key}" must be a string or null, got {record[key]!r}')
    published = _published(record.get("published"))
    url = record.get("url") or None
    if url is not None and not str(url).startswith(("http://", "https://")):
        raise IngestError(f'"url" must be an http(s) URL, got {url!r}')
    passages = record.get("passages")
    given = (
        [p for p in passages if isinstance(p, str) and p.strip()]
        if isinstance(passages, list)
        else None
    )
    extracted = ExtractedArticle(
        title=title.strip(),
        text=body,
        url=url,
        site=record.get("site") or None,
        author=record.get("author") or None,
        published=published,
        language=record.get("language") or None,
    )
    return extracted, given or None


def _text(record: dict[str, Any]) -> str:
    """The article's text: `text`, or else its `passages` joined (an export without text)."""
    body = record.get("text")
    if isinstance(body, str) and body.strip():
        return body
    passages = record.get("passages")
    if isinstance(passages, list) and passages and all(isinstance(p, str) for p in passages):
        return "\n\n".join(passages)
    raise IngestError('"text" must be a non-empty string')


def _published(value: object) -> datetime | None:
    """An ISO-8601 date or datetime as aware UTC (no offset given: taken as UTC)."""
    if value is None:
        return None
    try:
        published = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise IngestError(f'"published" is not an ISO-8601 date: {value!r}') from exc
    return published.replace(tzinfo=UTC) if published.tzinfo is None else published


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_json(article: StoredArticle) -> dict[str, Any]:
    """`newsbot export`: an article with its text and passages (`ingest --jsonl` reads it)."""
    info = article.info
    return {
        "id": info.id,
        "url": info.url,
        "title": info.title,
        "text": article.text,
        "published": _iso(info.published),
        "site": info.site,
        "author": info.author,
        "language": info.language,
        "passages": article.passages,
    }


def listing_json(info: ArticleInfo) -> dict[str, Any]:
    """`newsbot articles --json`: one stored article's metadata."""
    return {
        "id": info.id,
        "url": info.url,
        "title": info.title,
        "site": info.site,
        "published": _iso(info.published),
        "added": info.added_at.isoformat(),
    }


def answer_json(result: SearchResult) -> dict[str, Any]:
    """`newsbot ask --json`: the question, whether it was answered, the passages found."""
    return {
        "question": result.question,
        "answered": result.answered,
        "results": [
            {
                "article_id": hit.article_id,
                "url": hit.url,
                "title": hit.title,
                "passage": hit.passage,
                "score": hit.score,
            }
            for hit in result.hits
        ],
    }
