"""A page's structured metadata (Open Graph, meta tags, JSON-LD) and the rules that pick the
site name, the authors and the title from it.

Precedence, so that a byline agency, a desk or a bare URL never becomes the site name:

- site name: ``og:site_name`` > JSON-LD ``publisher.name`` > the host name (without ``www.``).
  A value is used as the site writes it (no re-casing); a value that is a URL is skipped; from a
  ``"Site | tagline"`` value the first part is kept; a leading ``@`` (a handle) is dropped.
- authors: only structured metadata, JSON-LD ``author`` first, then ``<meta name="author">``
  (and ``article:author``, ``parsely-author``, ``dc.creator`` when they are names, not URLs).
  Each name is cleaned of "By", roles ("AP Sports Writer", "Editor-at-large", "reporter"),
  credentials ("MS, RD"), the site's or another organisation's name; organisations that are the
  site itself are not authors. Several authors are joined with "; ".
- title: never the site name; when the extractor's title is the site name, ``og:title``, the
  JSON-LD ``headline`` or the page's ``<h1>`` is used instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["PageMeta", "pick_authors", "pick_site", "read_meta", "same_name"]

_MAX_JSON_LD = 2_000_000  # characters; a bigger script is not metadata
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "dc.creator", "sailthru.author")
_ARTICLE_TYPES = re.compile(r"article|posting|report|webpage|creativework", re.IGNORECASE)


@dataclass(frozen=True)
class PageMeta:
    """What a page declares about itself."""

    meta: dict[str, list[str]] = field(default_factory=dict)  # lowercased key -> contents
    json_ld: list[dict[str, Any]] = field(default_factory=list)  # every object, @graph flattened
    h1: list[str] = field(default_factory=list)

    def first(self, key: str) -> str | None:
        for value in self.meta.get(key, ()):
            if value:
                return value
        return None

    def articles(self) -> Iterator[dict[str, Any]]:
        """JSON-LD objects that describe the page's article (or page), best first."""
        typed = [o for o in self.json_ld if _ARTICLE_TYPES.search(" ".join(_types(o)))]
        yield from sorted(typed, key=lambda o: "article" not in " ".join(_types(o)).lower())

    def resolve(self, value: Any) -> Any:
        """A JSON-LD ``{"@id": ...}`` reference replaced by the object it names, when present."""
        if isinstance(value, dict) and set(value) == {"@id"}:
            for obj in self.json_ld:
                if obj.get("@id") == value["@id"] and len(obj) > 1:
                    return obj
        return value

    def article_bodies(self) -> list[str]:
        return [b for o in self.articles() if isinstance(b := o.get("articleBody"), str) and b]

    def headlines(self) -> list[str]:
        """The page's own headlines: og:title, twitter:title, JSON-LD headline, <h1>s."""
        found = [v for k in ("og:title", "twitter:title") if (v := self.first(k))]
        found += [h for o in self.articles() if isinstance(h := o.get("headline"), str) and h]
        return [_clean(h) for h in found + self.h1 if _clean(h)]


def _clean(value: str) -> str:
    return " ".join(value.split())


def _types(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _walk_json_ld(data: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(data, list):
        for item in data:
            _walk_json_ld(item, out)
    elif isinstance(data, dict):
        out.append(data)
        graph = data.get("@graph")
        if graph is not None:
            _walk_json_ld(graph, out)


def read_meta(tree: Any) -> PageMeta:
    """Meta tags, JSON-LD objects and <h1> texts of a parsed page (lxml tree)."""
    meta: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        content = element.get("content")
        if key and isinstance(content, str):
            meta.setdefault(key, []).append(_clean(content))
    json_ld: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if len(raw) > _MAX_JSON_LD:
            continue
        try:
            _walk_json_ld(json.loads(raw), json_ld)
        except ValueError:  # broken JSON-LD is common; the page's other metadata still counts
            continue
    h1 = [_clean(e.text_content()) for e in tree.iter("h1")]
    return PageMeta(meta=meta, json_ld=json_ld, h1=[h for h in h1 if h])


# ---------------------------------------------------------------------------------------------
# Site name

_URL_LIKE = re.compile(r"^(?:https?:)?//|^www\.", re.IGNORECASE)


def _site_value(value: Any) -> str | None:
    """A declared site name as the site writes it, or None when it is empty or a URL."""
    if not isinstance(value, str):
        return None
    name = _clean(value).split(" | ")[0].strip().lstrip("@").strip()
    if not name or _URL_LIKE.search(name) or (" " not in name and "/" in name):
        return None
    return name


def host_name(url: str | None) -> str | None:
    """'https://www.example.com/a' -> 'example.com'."""
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _publisher_names(page: PageMeta) -> Iterator[str]:
    for obj in page.articles():
        publishers = page.resolve(obj.get("publisher"))
        for publisher in publishers if isinstance(publishers, list) else [publishers]:
            publisher = page.resolve(publisher)
            value = publisher.get("name") if isinstance(publisher, dict) else publisher
            if name := _site_value(value):
                yield name


def pick_site(page: PageMeta, url: str | None) -> str | None:
    """og:site_name > JSON-LD publisher name > host name."""
    for value in page.meta.get("og:site_name", ()):
        if name := _site_value(value):
            return name
    return next(_publisher_names(page), None) or host_name(url)


def same_name(a: str | None, b: str | None) -> bool:
    """'Al-Bawaba' and 'Al Bawaba', 'TheHill' and 'The Hill': the same name."""
    if not a or not b:
        return False
    return re.sub(r"\W+", "", a).casefold() == re.sub(r"\W+", "", b).casefold()


# ---------------------------------------------------------------------------------------------
# Authors

_ROLE = re.compile(
    r"\b(?:reporter|writer|editor(?:-at-large)?|correspondent|columnist|contributor|journalist"
    r"|producer|photographer|photojournalist|anchor|intern|bureau|chief|critic|blogger|staff"
    r"|desk|contributing|senior|special to|for the|news service|wire|media|press)s?\b",
    re.IGNORECASE,
)
_AGENCIES = re.compile(r"^(?:the )?(?:associated press|reuters|afp|agence france-presse)$", re.I)
_NOT_A_NAME = frozenset({"admin", "administrator", "editor", "staff", "webmaster", "guest", "user"})
_CREDENTIAL = re.compile(r"^[A-Z]{1,5}(?:\.[A-Z]{1,3})*\.?$")  # MS, RD, RDN, PhD-like caps
_PART_SPLIT = re.compile(r"\s*(?:\||;|,|\s/\s|\s+and\s+|\s+&\s+|(?<=\w{2})\.\s+)\s*")


def _author_values(page: PageMeta) -> Iterator[list[str]]:
    """Raw author strings per source, best source first."""
    for obj in page.articles():
        raw = page.resolve(obj.get("author"))
        names: list[str] = []
        for item in raw if isinstance(raw, list) else [raw]:
            item = page.resolve(item)
            value = item.get("name") if isinstance(item, dict) else item
            if isinstance(value, str):
                names.append(value)
        if names:
            yield names
    for key in _AUTHOR_KEYS:
        if values := page.meta.get(key):
            yield values


def _clean_author(value: str, organisations: list[str]) -> list[str]:
    """Person names in one author string, without roles, credentials or organisations."""
    value = _clean(value)
    if not value or _URL_LIKE.search(value) or ("/" in value and " " not in value):
        return []
    value = re.sub(r"^(?:by|written by|von|por|par)\s+", "", value, flags=re.IGNORECASE)
    value = re.sub(r"\s+(?:is|was)\s+an?\s+.*$", "", value)  # "Phil Helsel is a reporter"
    names: list[str] = []
    for index, part in enumerate(_PART_SPLIT.split(value)):
        part = part.strip(" .-–—:")
        words = part.split()
        if not words or (_CREDENTIAL.fullmatch(part) and names):
            continue
        if _ROLE.search(part) and not _AGENCIES.fullmatch(part):
            continue
        if part.casefold() in _NOT_A_NAME or (part.islower() and " " not in part):
            continue  # "admin", a login such as "kevin-r"
        if "." in part and re.search(r"\w\.[a-z]{2,}$", part, re.IGNORECASE) and " " not in part:
            continue  # Cleveland.com
        if any(same_name(part, org) or (index and _shares_org(part, org)) for org in organisations):
            continue
        if part.isupper() and len(words) >= 2:
            part = part.title()  # "STEVE PEOPLES" (wire style) -> "Steve Peoples"
        names.append(part)
    return names


def _shares_org(part: str, organisation: str) -> bool:
    """'CNN Business' vs site 'CNN', 'Sputnik International' vs host 'sputniknews.com': the
    part after a name starts with the organisation's first word, or the other way round."""
    first = re.sub(r"\W+", "", part.split()[0]).casefold()
    org = re.sub(r"\W+", "", organisation.split()[0]).casefold()
    return len(first) >= 3 and len(org) >= 3 and (org.startswith(first) or first.startswith(org))


def pick_authors(page: PageMeta, url: str | None, site: str | None) -> str | None:
    """The article's authors from structured metadata, cleaned; None when there are none."""
    organisations = [o for o in (site, host_name(url), *_publisher_names(page)) if o]
    for values in _author_values(page):
        names: list[str] = []
        for value in values:
            for name in _clean_author(value, organisations):
                if name.casefold() not in (n.casefold() for n in names):
                    names.append(name)
        if names:
            return "; ".join(names[:5])
    return None
