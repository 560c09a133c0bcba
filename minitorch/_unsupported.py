"""What minitorch does not have yet, said clearly at the line that asks for it.

A PyTorch program that reaches for one of these names gets a ``NotImplementedError`` naming it
and what to do instead, not an ``AttributeError`` from deep inside. The error is also an
``AttributeError``, so ``hasattr(torch, "fft")`` and ``getattr(torch, "compile", None)`` still
answer "no" as a script that probes for optional features expects.

The table below is also docs/porting-from-pytorch.md's "What is not supported yet" section
(tests/test_unsupported.py keeps the two equal and checks that every entry raises).
"""
from __future__ import annotations

# "name" (relative to torch: "fft", "Tensor.stft", "nn.Bilinear") -> what to do instead.
UNSUPPORTED: dict[str, str] = {
}


class NotSupportedError(NotImplementedError, AttributeError):
    """A PyTorch name minitorch does not implement (yet)."""


def missing(namespace: str, name: str, owner: str) -> AttributeError:
    """The error for ``owner.name`` (namespace: "" for the top level, "Tensor", "nn", ...): a
    NotSupportedError when the name is in the table, else the plain AttributeError Python gives."""
    key = f"{namespace}.{name}" if namespace else name
    advice = UNSUPPORTED.get(key)
    if advice is None:
        return AttributeError(f"{owner} has no attribute '{name}'")
    return NotSupportedError(f"torch.{key} is not supported by minitorch yet: {advice} "
                             "(docs/porting-from-pytorch.md lists what is not supported)")


class _Stub:
    """A class attribute that raises NotSupportedError when read (so hasattr says False)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        raise missing("Tensor", self.name, "'Tensor' object")


def tensor_stubs() -> dict[str, _Stub]:
    """One raising attribute per unsupported Tensor method, for tensor.py to install."""
    return {key.split(".", 1)[1]: _Stub(key.split(".", 1)[1])
            for key in UNSUPPORTED if key.startswith("Tensor.")}
