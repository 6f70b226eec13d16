"""The in-memory passage vectors alone, at any size: decoding, adding, a question's cosines, the
vector file, and the memory they take.

    python benchmarks/vector_store.py [--size 1000000]

Synthetic int8 vectors (random BLOBs of 384 bytes): `--size` of them decoded and added in
batches of 20,000, as the index catch-up reads `passage_vectors` (`from_blobs`,
`VectorStore.add`); then the cosines of a random question with 20 random candidates, 2,000
times (what the hybrid path asks the store per question); then the store saved to a vector file
and loaded back 3 times (search/vector_snapshot.py; skipped on a tree without it, e.g. a
baseline run with its interpreter). Prints the times and the process's resident memory.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from newsbot.search.dense import DIM, VectorStore, from_blobs

BATCH = 20_000


def memory_mb() -> str:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return f"resident {values['VmRSS']:.0f} MB (peak {values['VmHWM']:.0f} MB)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    store = VectorStore()
    decoding = adding = 0.0
    for start in range(0, args.size, BATCH):
        n = min(BATCH, args.size - start)
        blobs = [r.tobytes() for r in rng.integers(-127, 128, (n, DIM), dtype=np.int8)]
        clock = time.perf_counter()
        rows = from_blobs(blobs)
        decoding += time.perf_counter() - clock
        clock = time.perf_counter()
        store.add(list(range(start + 1, start + n + 1)), rows)
        adding += time.perf_counter() - clock
        store.max_seq = start + n
    print(
        f"{args.size:,} vectors in batches of {BATCH:,}: decoding {decoding:.2f} s, adding "
        f"{adding:.2f} s; {store.nbytes / 2**20:.0f} MiB allocated; {memory_mb()}"
    )
    question = rng.normal(size=DIM).astype(np.float32)
    times = []
    for _ in range(2000):
        ids = rng.integers(1, args.size + 1, 20)
        clock = time.perf_counter()
        store.cosines(question, ids.tolist())
        times.append((time.perf_counter() - clock) * 1000)
    times.sort()
    print(
        f"cosines of 20 candidates: p50 {statistics.median(times):.3f} ms, "
        f"p99 {times[int(0.99 * len(times))]:.3f} ms"
    )
    try:
        from newsbot.search import vector_snapshot
    except ImportError:
        print("no vector file on this tree")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "vectors"
        clock = time.perf_counter()
        vector_snapshot.save(path, store, "synthetic")
        saved = time.perf_counter() - clock
        del store
        loads = []
        for _ in range(3):
            loaded = None  # the previous load's arrays freed first
            clock = time.perf_counter()
            loaded = vector_snapshot.load(path, "synthetic")
            loads.append(time.perf_counter() - clock)
            assert loaded is not None
        print(
            f"vector file {path.stat().st_size / 2**20:.0f} MiB: saved in {saved:.2f} s, "
            f"loaded in {', '.join(f'{t:.2f}' for t in loads)} s; {memory_mb()}"
        )


if __name__ == "__main__":
    main()
