"""make_dot: draw the autograd graph behind a tensor as Graphviz DOT (torchviz's picture).

One box per backward node (``AddBackward0``), a blue box per leaf tensor that
requires grad (its shape, and its name when ``params`` names it), a green box for the
output, and an edge from every input to the node that consumed it, so arrows follow
the forward pass. The DOT text needs nothing; turning it into SVG or PNG needs the
Graphviz ``dot`` program on PATH.

    dot = make_dot(loss, params=dict(model.named_parameters()))
    print(dot.source)
    dot.render("graph", format="svg")     # writes graph (DOT) and graph.svg
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, Iterable, Mapping

import numpy as np

from .autograd.function import AccumulateGrad
from .tensor import Tensor

_GRAPH_ATTRS = ('graph [size="12,12"]\n'
                '    node [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 '
                'shape=box style=filled]')
_INSTALL = ("rendering needs the Graphviz 'dot' program, which is not on PATH; install Graphviz "
            "(apt-get install graphviz, brew install graphviz, or conda install graphviz), or "
            "call .save(path) to write the DOT text and render it elsewhere")


__all__ = [
    "Digraph",
    "make_dot",
]

class Digraph:
    """DOT text of a graph (``.source``), written by save() and rendered by render() with ``dot``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def save(self, path: str | os.PathLike) -> str:
        """Write the DOT text to path; returns the path."""
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return path

    def pipe(self, format: str = "svg") -> bytes:  # noqa: A002 - graphviz's name
        """The graph rendered by ``dot -T<format>``, as bytes."""
        exe = shutil.which("dot")
        if exe is None:
            raise RuntimeError(_INSTALL)
        done = subprocess.run([exe, f"-T{format}"], input=self.source.encode("utf-8"),
                              capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"dot -T{format} failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def render(self, filename: str | os.PathLike, format: str = "svg") -> str:  # noqa: A002
        """Write the DOT text to filename and the picture to filename.<format>; returns the latter."""
        image = self.pipe(format)
        self.save(filename)
        out = f"{os.fspath(filename)}.{format}"
        with open(out, "wb") as f:
            f.write(image)
        return out

    def _repr_svg_(self) -> str | None:
        """The SVG for Jupyter, or None (so it shows another repr) when dot is missing."""
        if shutil.which("dot") is None:
            return None
        return self.pipe("svg").decode("utf-8")

    def __repr__(self) -> str:
        return f"<minitorch.viz.Digraph with {self.source.count(' -> ')} edges>"


def make_dot(root: Tensor | Iterable[Tensor], params: Mapping[str, Tensor] | Iterable | None = None,
             show_attrs: bool = False, show_saved: bool = False) -> Digraph:
    """The autograd graph behind root (a tensor or several) as a Digraph.

    params: names for leaf tensors, a dict name -> tensor or ``model.named_parameters()``.
    show_attrs: list each node's non-tensor attributes (dims, scalars, ...) in its box.
    show_saved: draw the tensors each node saved for backward (orange, dotted edges).
    """
    roots = [root] if isinstance(root, Tensor) else list(root)
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"make_dot expects a Tensor or tensors, got {type(r).__name__}")
    names = _param_names(params)
    ids: dict[int, str] = {}
    lines: list[str] = []

    def node_id(obj: Any, label: str, color: str | None = None) -> tuple[str, bool]:
        """The DOT id of obj, emitting its node the first time; (id, is_new)."""
        key = id(obj)
        if key in ids:
            return ids[key], False
        ids[key] = f"n{len(ids)}"
        fill = f" fillcolor={color}" if color else ""
        lines.append(f'    {ids[key]} [label="{_escape(label)}"{fill}]')
        return ids[key], True

    def tensor_label(t: Tensor) -> str:
        name = names.get(id(t), "")
        return f"{name}\n {_shape(t.shape)}" if name else _shape(t.shape)

    def fn_id(fn: Any) -> tuple[str, bool]:
        # A leaf's AccumulateGrad is drawn as the leaf tensor itself, so a leaf that is
        # also saved for backward (show_saved) is the same box.
        if isinstance(fn, AccumulateGrad):
            leaf = fn.variable
            if leaf is None:
                return node_id(fn, "(freed leaf)", "lightblue")
            return node_id(leaf, tensor_label(leaf), "lightblue")
        return node_id(fn, fn.name() + (_attrs(fn) if show_attrs else ""))

    stack = []
    for r in roots:
        out, _ = node_id(r, tensor_label(r), "darkolivegreen1")
        if r.grad_fn is not None:
            src, new = fn_id(r.grad_fn)
            lines.append(f"    {src} -> {out}")
            if new:
                stack.append((r.grad_fn, src))
    # Iterative depth-first walk: deep graphs (long chains) must not hit the recursion limit.
    while stack:
        fn, dst = stack.pop()
        if show_saved:
            for t in _saved(fn):
                if t.requires_grad and t.grad_fn is None:  # a leaf: its own blue box
                    src, _ = node_id(t, tensor_label(t), "lightblue")
                else:
                    src, _ = node_id(t, _shape(t.shape), "orange")
                lines.append(f"    {src} -> {dst} [style=dotted dir=none]")
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            src, new = fn_id(nxt)
            lines.append(f"    {src} -> {dst}")
            if new:
                stack.append((nxt, src))
    body = "\n".join(lines)
    return Digraph(f"digraph {{\n    {_GRAPH_ATTRS}\n{body}\n}}\n")


def _param_names(params) -> dict[int, str]:
    if params is None:
        return {}
    items = params.items() if isinstance(params, Mapping) else params
    names = {}
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dot params must map names to tensors; {name!r} is a {type(t).__name__}")
        names[id(t)] = str(name)
    return names


def _saved(fn: Any) -> list[Tensor]:
    """The tensors fn keeps for backward (empty once backward has freed them)."""
    saved = getattr(fn, "_saved", None) or ()
    return [t for t in saved if isinstance(t, Tensor)]


def _attrs(fn: Any) -> str:
    """fn's public attributes set in forward, one 'name: value' per line."""
    shown = []
    for key, value in vars(fn).items():
        if key.startswith("_"):
            continue
        if isinstance(value, (Tensor, np.ndarray)):
            value = f"{type(value).__name__}{_shape(value.shape)}"
        text = str(value)
        shown.append(f"{key}: {text if len(text) <= 40 else text[:37] + '...'}")
    return "".join("\n" + s for s in shown)


def _shape(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _escape(label: str) -> str:
    return label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
