"""The passage vectors saved beside the search index, so a restart reads one file instead of
every row of `passage_vectors`.

Reading them from the database costs ~1.5 s per 100,000 passages (a query and a BLOB a row);
the file is the store's own arrays, read straight into place: a header line, then the ids, the
norms and the int8 rows. The database stays the truth: the file says "the vectors of `model`
up to `passage_vectors.id` N" (the store's high-water mark), and the retriever then catches up
from N as usual. It is trusted only if the database's newest vector of that model at or below
N is held in the file with the same bytes (ids are never reused, so that identifies the
database's lineage), and if its checksum holds; otherwise the vectors are read from the
database, as without a file.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from newsbot.search.dense import DIM, Int8Matrix, VectorStore

log = logging.getLogger(__name__)

MAGIC = b"newsbot passage vectors\n"
FORMAT = 1
HEADROOM = 1 / 8
"""Room kept past the loaded rows for the vectors embedded after the start (zero pages: not
resident until written), so the first adds needn't copy every row into a bigger array."""


def path_beside(index_path: Path) -> Path:
    """Where the vectors go, beside the index snapshot at `index_path`."""
    return index_path.with_name(index_path.name + ".vectors")


@dataclass(frozen=True)
class VectorSnapshotInfo:
    model: str
    max_seq: int  # the last passage_vectors.id the vectors cover
    size: int


def save(path: Path, store: VectorStore, model: str) -> VectorSnapshotInfo:
    """Write the store's vectors atomically (a temporary file, then a rename)."""
    ids, rows, norms = store.export()
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    norms = np.ascontiguousarray(norms, dtype=np.float32)
    rows = np.ascontiguousarray(rows, dtype=np.int8)
    info = VectorSnapshotInfo(model, store.max_seq, len(ids))
    header = {
        "format": FORMAT,
        "byteorder": sys.byteorder,
        "model": model,
        "dim": store.dim,
        "size": info.size,
        "max_seq": info.max_seq,
        "crc": _checksum(ids, norms, rows),
    }
    temporary = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(temporary, "wb") as handle:
        handle.write(MAGIC + json.dumps(header).encode() + b"\n")
        for array in (ids, norms, rows):
            handle.write(array.data.cast("B"))
        # On disk before the rename: a crash must leave the old file or the whole new one.
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return info


def load(path: Path, model: str, dim: int = DIM) -> tuple[VectorStore, VectorSnapshotInfo] | None:
    """The saved vectors of `model`, or None if there are none or they can't be used."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                raise ValueError("not a vector snapshot")
            header = json.loads(handle.readline(4096))
            if header["format"] != FORMAT or header["byteorder"] != sys.byteorder:
                log.info("passage vectors %s are of another format", path)
                return None
            if header["model"] != model or header["dim"] != dim:
                log.info("passage vectors %s are of another model", path)
                return None
            size = int(header["size"])
            capacity = size + max(1024, int(size * HEADROOM))
            ids = np.empty(size, dtype=np.int64)
            norms = np.zeros(capacity, dtype=np.float32)
            rows: Int8Matrix = np.zeros((capacity, dim), dtype=np.int8)
            for array in (ids, norms[:size], rows[:size]):
                _read_into(handle, array)
            if handle.read(1):
                raise ValueError("trailing bytes")
        if _checksum(ids, norms[:size], rows[:size]) != header["crc"]:
            raise ValueError("checksum mismatch")
        if size and not (np.diff(ids) > 0).all():
            raise ValueError("ids out of order")
        store = VectorStore(dim)
        store.restore(ids, rows, norms, int(header["max_seq"]))
    except Exception as exc:  # a cache: truncated, empty, damaged
        log.warning(
            "passage vectors %s are unreadable (%s: %s): reading them from the database",
            path,
            type(exc).__name__,
            exc,
        )
        return None
    return store, VectorSnapshotInfo(model, store.max_seq, size)


def holds(store: VectorStore, passage_id: int, vector: bytes) -> bool:
    """Whether `store` holds exactly this vector for the passage (the lineage check)."""
    ids, rows, _ = store.export()
    at = int(np.searchsorted(ids, passage_id))
    return at < len(ids) and int(ids[at]) == passage_id and rows[at].tobytes() == vector


def _read_into(handle: BinaryIO, array: np.ndarray) -> None:
    view = array.data.cast("B")
    done = 0
    while done < len(view):
        got = handle.readinto(view[done:])  # type: ignore[attr-defined]  # a raw file's
        if not got:
            raise EOFError("the file ends early")
        done += got


def _checksum(*arrays: np.ndarray) -> str:
    crc = 0
    for array in arrays:
        crc = zlib.crc32(array.data.cast("B"), crc)
    return f"{crc:08x}"
