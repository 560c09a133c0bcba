"""einsum: Einstein summation, contracted as PyTorch contracts it without opt_einsum.

Each operand is first reduced to distinct labels (a repeated label takes the diagonal),
then aligned to one order of all labels (a missing label is a dim of size 1). The
operands are then contracted left to right, each pair as one batched matrix product over
the labels that neither the output nor a later operand needs; labels only one side has
are summed on that side first. Everything is Tensor ops, so gradients come for free.
"""
from __future__ import annotations

import string

from .._declare import function
from ..tensor import Tensor
from .matmul import bmm

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's label order: A-Z, then a-z
_ELLIPSIS = -1


def _parse_operand(term: str, start: int, equation: str) -> list:
    labels, i = [], 0
    while i < len(term):
        ch = term[i]
        if ch == ".":
            if term[i:i + 3] != "..." or _ELLIPSIS in labels:
                raise RuntimeError("einsum(): found '.' for operand %d that is not part of any ellipsis" % 0)
            labels.append(_ELLIPSIS)
            i += 3
            continue
        if ch == " ":
            i += 1
            continue
        if ch not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
        labels.append(_LETTERS.index(ch))
        i += 1
    return labels


def _sublist_equation(args) -> tuple:
    """The (operand, sublist, ..., [output]) form as an equation string and the operands."""
    operands, terms = [], []
    args = list(args)
    while len(args) >= 2 and isinstance(args[0], Tensor):
        operands.append(args.pop(0))
        terms.append(args.pop(0))
    out = args.pop(0) if args else None

    def term(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
    equation = ",".join(term(t) for t in terms) + ("" if out is None else "->" + term(out))
    return equation, operands


def _diagonalize(t: Tensor, labels: list) -> tuple:
    """t with each repeated label reduced to its diagonal (kept where the label first appears)."""
    while len(set(labels)) != len(labels):
        seen = {}
        for pos, lab in enumerate(labels):
            if lab in seen:
                first = seen[lab]
                t = t.diagonal(0, first, pos).movedim(-1, first)
                labels = labels[:pos] + labels[pos + 1:]
                break
            seen[lab] = pos
    return t, labels


def _sum_out(t: Tensor, dims: list) -> Tensor:
    return t.sum(dims, keepdim=True) if dims else t


def _pair(left: Tensor, right: Tensor, summed: list) -> Tensor:
    """left * right (aligned, broadcasting) summed over the dims summed, which stay as size 1:
    one bmm over (batch, left-only, summed) x (batch, summed, right-only)."""
    nd = left.dim()
    ls, rs = left.shape, right.shape
    left = _sum_out(left, [d for d in summed if ls[d] > 1 and rs[d] == 1])
    right = _sum_out(right, [d for d in summed if rs[d] > 1 and ls[d] == 1])
    ls, rs = left.shape, right.shape
    contract = [d for d in summed if ls[d] > 1 and rs[d] > 1]
    kept = [d for d in range(nd) if d not in summed]
    batch = [d for d in kept if ls[d] > 1 and rs[d] > 1]
    lo = [d for d in kept if ls[d] > 1 and rs[d] == 1]
    ro = [d for d in kept if rs[d] > 1 and ls[d] == 1]
    ones = [d for d in range(nd) if d not in batch + lo + ro]  # size 1 in the product (contract too)

    def size(shape, dims):
        n = 1
        for d in dims:
            n *= shape[d]
        return n
    b, m, k, n = size(ls, batch), size(ls, lo), size(ls, contract), size(rs, ro)
    lmat = left.permute(batch + lo + contract + [d for d in range(nd) if d not in batch + lo + contract])
    rmat = right.permute(batch + contract + ro + [d for d in range(nd) if d not in batch + contract + ro])
    prod = bmm(lmat.reshape(b, m, k), rmat.reshape(b, k, n))
    order = batch + lo + ro + ones
    shape = [ls[d] for d in batch] + [ls[d] for d in lo] + [rs[d] for d in ro] + [1] * len(ones)
    out = prod.reshape(shape)
    return out.permute([order.index(d) for d in range(nd)])


@function
def einsum(equation, *operands) -> Tensor:
    """Sums of products of the operands' elements over the labels of equation
    (``"ij,jk->ik"`` is a matrix product; ``"..."`` stands for broadcast dims; without
    ``->``, the output has the labels used once, in alphabetical order, uppercase first)."""
    if not isinstance(equation, str):
        equation, operands = _sublist_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): argument 'operands' must be tuple of Tensors, but found element of type "
                            f"{type(t).__name__} at pos {i}")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    start, parsed = 0, []
    for term in terms:
        parsed.append(_parse_operand(term, start, equation))
        start += len(term) + 1

    # Ellipsis dims: as many as the largest operand needs, aligned from the right.
    n_ell = 0
    for t, labels in zip(operands, parsed):
        named = len([x for x in labels if x != _ELLIPSIS])
        if _ELLIPSIS not in labels and named != t.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({t.dim()}) for operand {parsed.index(labels)} and no "
                               "ellipsis was given")
        if _ELLIPSIS in labels:
            if named > t.dim():
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) is more than the "
                                   f"number of dimensions ({t.dim()}) for operand {parsed.index(labels)}")
            n_ell = max(n_ell, t.dim() - named)
    ell = [len(_LETTERS) + i for i in range(n_ell)]  # ids of the ellipsis dims
    expanded = []
    for t, labels in zip(operands, parsed):
        if _ELLIPSIS in labels:
            here = t.dim() - (len(labels) - 1)
            at = labels.index(_ELLIPSIS)
            labels = labels[:at] + ell[n_ell - here:] + labels[at + 1:]
        expanded.append(labels)

    counts: dict = {}
    for labels in expanded:
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
    if arrow:
        out_labels = _parse_operand(rhs, len(lhs) + 2, equation)
        if _ELLIPSIS in out_labels:
            at = out_labels.index(_ELLIPSIS)
            out_labels = out_labels[:at] + ell + out_labels[at + 1:]
        for i, lab in enumerate(out_labels):
            if lab in out_labels[:i]:
                raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} appears more than once in the output")
            if lab not in counts:
                raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} does not appear in the equation for "
                                   "any input operand")
    else:
        out_labels = ell + sorted(lab for lab, c in counts.items() if c == 1 and lab < len(_LETTERS))

    # Align every operand to one order: output labels, then the others by first appearance.
    order = list(out_labels) + [lab for labels in expanded for lab in labels if lab not in out_labels]
    order = list(dict.fromkeys(order))
    sizes: dict = {}
    aligned = []
    for i, (t, labels) in enumerate(zip(operands, expanded)):
        t, labels = _diagonalize(t, labels)
        for lab, n in zip(labels, t.shape):
            seen = sizes.get(lab, 1)
            if n != 1 and seen != 1 and n != seen:
                name = _LETTERS[lab] if lab < len(_LETTERS) else "..."
                raise RuntimeError(f"einsum(): subscript {name} has size {n} for operand {i} which does not "
                                   f"broadcast with previously seen size {seen}")
            if n != 1:
                sizes[lab] = n
        present = [lab for lab in order if lab in labels]
        t = t.permute([labels.index(lab) for lab in present]) if present else t
        shape = [t.shape[present.index(lab)] if lab in present else 1 for lab in order]
        aligned.append(t.reshape(shape))

    if any(t.dtype is not aligned[0].dtype for t in aligned):
        other = next(t.dtype for t in aligned if t.dtype is not aligned[0].dtype)
        raise RuntimeError(f"expected scalar type {aligned[0].dtype.legacy_name} but found {other.legacy_name}")
    n_out = len(out_labels)
    result = aligned[0]
    if len(aligned) == 1:
        result = _sum_out(result, [d for d in range(n_out, len(order)) if result.shape[d] > 1])
    for i in range(1, len(aligned)):
        later = {lab for labels in expanded[i + 1:] for lab in labels}
        summed = [d for d in range(n_out, len(order)) if order[d] not in later]
        result = _pair(result, aligned[i], summed)
    return result.reshape(list(result.shape[:n_out]))
