"""The search index saved beside the database, so a restart loads it instead of rebuilding.

Rebuilding means reading and tokenizing every passage: about a minute and a half at a million
passages. Loading the saved arrays takes a second or two. The database stays the truth: a
snapshot only says "the index as of passage id N and removal-log id M"; the retriever then
catches up from the database as usual (newer passages, later removals).

A snapshot is trusted only if the database still holds its newest passage with the same text
(ids are AUTOINCREMENT, never reused, so that identifies the database's lineage) and it was
written by this version of the text processing; otherwise it is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsbot.search import text as search_text
from newsbot.search.index import PassageIndex, Segment

log = logging.getLogger(__name__)

FORMAT = 3  # 2: a checksum of the arrays in "info"; 3: terms' occurrences and capitals
_INDEX_ARRAYS = (
    "terms",
    "df",
    "occurrences",
    "capitals",
    "passage_ids",
    "article_ids",
    "alive",
    "scalars",
)


def text_processing_version() -> str:
    """Changes whenever tokens or stems could come out differently."""
    stems = search_text.stem("universities") + search_text.stem("a380s")
    words = search_text.terms("हिंदी తెలుగు Café мой")  # marks kept in words; accents not
    recipe = f"{FORMAT}|{sorted(search_text.STOP_WORDS)}|{stems}|{words}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def passage_digest(body: str) -> str:
    """A short fingerprint of a passage's text."""
    return hashlib.sha256(body.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SnapshotInfo:
    """What a snapshot covers and how to check it still fits the database."""

    max_passage_id: int
    last_removal: int
    check_id: int  # a passage the snapshot holds, and the digest of its text
    check_digest: str


def save(path: Path, index: PassageIndex, info: SnapshotInfo) -> None:
    """Write the index atomically (a temporary file, then a rename)."""
    arrays = index.export_arrays()
    segments = index.segments
    arrays |= {
        "seg_counts": np.array([len(s.term_ids) for s in segments], dtype=np.int64),
        "seg_sizes": np.array([len(s.docs) for s in segments], dtype=np.int64),
        "seg_terms": _concat([s.term_ids for s in segments], np.int32),
        "seg_starts": _concat([s.starts for s in segments], np.int64),
        "seg_ends": _concat([s.ends for s in segments], np.int64),
        "seg_docs": _concat([s.docs for s in segments], np.int32),
        "seg_impacts": _concat([s.impacts for s in segments], np.uint8),
    }
    # Over every array, segments included, as `load` checks it: once only over the index's
    # own arrays, so every snapshot with postings failed its check and each start rebuilt.
    arrays["info"] = np.array(
        [
            text_processing_version(),
            str(info.max_passage_id),
            str(info.last_removal),
            str(info.check_id),
            info.check_digest,
            _checksum(arrays),
        ]
    )
    temporary = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)  # PostgreSQL's: a cache folder, maybe new
    with open(temporary, "wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]
        # On disk before the rename: a crash must leave the old file or the whole new one.
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not possible everywhere (Windows); the rename itself is still atomic
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def load(path: Path, *, max_postings: int) -> tuple[PassageIndex, SnapshotInfo] | None:
    """The saved index and what it covers, or None if there is none or it can't be used."""
    if not path.exists():
        return None
    try:
        # Our own handle: np.load leaks the one it opens when the file is damaged.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as npz:
            # Each access to an NpzFile member reads it again from the file: read each once.
            data = {key: npz[key] for key in npz.files}
        version, max_passage, last_removal, check_id, digest, checksum = (
            str(v) for v in data.pop("info")
        )
        if version != text_processing_version():
            log.info("search index snapshot %s is from other text processing", path)
            return None
        if checksum != _checksum(data):
            raise ValueError("checksum mismatch")
        terms, starts, ends, docs, impacts = (
            data[key] for key in ("seg_terms", "seg_starts", "seg_ends", "seg_docs", "seg_impacts")
        )
        segments = []
        term_at, post_at = 0, 0
        for count, size in zip(data["seg_counts"], data["seg_sizes"], strict=True):
            count, size = int(count), int(size)
            segments.append(
                Segment(
                    terms[term_at : term_at + count],
                    starts[term_at : term_at + count],
                    ends[term_at : term_at + count],
                    docs[post_at : post_at + size],
                    impacts[post_at : post_at + size],
                )
            )
            term_at, post_at = term_at + count, post_at + size
        index = PassageIndex.from_arrays(
            {key: data[key] for key in _INDEX_ARRAYS}, segments, max_postings=max_postings
        )
    except Exception as exc:  # a cache: truncated, empty, damaged (BadZipFile, EOFError, ...)
        log.warning(
            "search index snapshot %s is unreadable (%s: %s): rebuilding from the database",
            path,
            type(exc).__name__,
            exc,
        )
        return None
    return index, SnapshotInfo(int(max_passage), int(last_removal), int(check_id), digest)


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    """CRC-32 of every array's bytes, in name order (zip's own CRC isn't checked by np.load)."""
    crc = 0
    for key in sorted(arrays):
        if key != "info":
            # The bytes in place, not a copy (at 1M passages the postings are ~180 MB).
            crc = zlib.crc32(np.ascontiguousarray(arrays[key]).data.cast("B"), crc)
    return f"{crc:08x}"


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)
