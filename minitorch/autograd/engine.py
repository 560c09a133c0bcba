"""The backward engine: one iterative walk of the graph in dependency order."""
from __future__ import annotations

from sys import getrefcount as _getrefcount

from .._backends._table_errors import TABLE_ERRORS, from_table
from .._declare import method
from ..dtypes import FROM_NP
from ..tensor import Tensor
from .anomaly_mode import _anomaly, check_gradients
from .function import AccumulateGrad
from .grad_mode import _enabled


def _dependencies(roots) -> dict:
    """For every node reachable from roots, how many edges point into it (iterative DFS)."""
    deps: dict = {}
    seen = set()
    stack = list(roots)
    for r in roots:
        seen.add(r)
    while stack:
        node = stack.pop()
        for nxt, _, _ in node._inputs:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def _sum_to(grad, shape):
    """Reduce a broadcast gradient back to an input's shape."""
    if grad.shape == shape:
        return grad
    return grad.sum_to_size(shape)


def _sole_reference() -> int:
    """The reference count of a gradient that run_backward's ``grad`` alone holds (popped
    from its buffer), measured on this interpreter as _accumulate's caller would see it."""
    buffers = {0: object()}
    grad = buffers.pop(0)
    return _getrefcount(grad)


_SOLE = _sole_reference()


def _accumulate(node: AccumulateGrad, grad, create_graph: bool, sole: bool = False) -> None:
    """Add grad into its leaf's .grad. A first gradient that nothing else holds (sole: only
    the engine's reference) is adopted, not copied, as PyTorch's AccumulateGrad steals it."""
    leaf = node._variable()
    if leaf is None:
        return
    if leaf._grad is None:
        if create_graph:
            leaf._grad = grad
        elif sole and grad._backend.can_adopt(grad) and grad._data.shape == leaf._data.shape:
            leaf._grad = Tensor._wrap(grad._data, grad._backend)
        else:
            leaf._grad = grad.detach()._owned_copy()
    elif create_graph or leaf._grad._requires_grad:
        leaf._grad = leaf._grad + grad
    else:
        leaf._grad._add_into(grad)


def _hook_result(hook, grad, replaced):
    """What a tensor hook returned, checked as PyTorch checks it: a tensor of grad's shape and dtype."""
    if not isinstance(replaced, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(replaced).__name__}'")
    name = getattr(hook, "__name__", type(hook).__name__)
    if replaced.shape != grad.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if replaced.dtype is not grad.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {grad.type()} got {replaced.type()})")
    return replaced


def run_backward(roots, grads, retain_graph: bool, create_graph: bool, capture=None) -> dict:
    """Propagate grads (one Tensor per root node) to every leaf, or only to capture's nodes.

    capture maps nodes to the slots of autograd.grad's inputs; when given, leaves'
    ``.grad`` are left untouched and the captured gradients are returned.
    """
    deps = _dependencies(roots)
    buffers: dict = {}
    for node, g in zip(roots, grads):
        buffers[node] = buffers[node] + g if node in buffers else g
    ready = [n for n in dict.fromkeys(roots) if deps.get(n, 0) == 0]
    captured: dict = {}
    executed = []
    prev_mode = _enabled[0]
    _enabled[0] = create_graph
    try:
        while ready:
            node = ready.pop()
            grad = buffers.pop(node)
            if node._hooks:
                for hook in tuple(node._hooks):
                    replaced = hook(grad)
                    if replaced is not None:
                        grad = _hook_result(hook, grad, replaced)
            if capture is not None and node in capture:
                captured[node] = grad
            if type(node) is AccumulateGrad:
                if capture is None:
                    sole = _getrefcount(grad) == _SOLE
                    _accumulate(node, grad, create_graph, sole)
                continue
            retained = getattr(node, "_retained", None)
            if retained is not None and retained() is not None:
                _accumulate_retained(retained(), grad, create_graph)
            # The fused kernel of the backward, unless the backward must itself be differentiable.
            fused = node.fused
            try:
                results = node.backward(node, grad) if fused is None or create_graph else fused(node, grad)
            except TABLE_ERRORS as error:  # (an op table's NumPy/numba failure, in PyTorch's words)
                better = from_table(error)
                if better is None:
                    raise
                raise better from None
            if not isinstance(results, tuple):
                results = (results,)
            if _anomaly[0]:
                check_gradients(node, results)
            executed.append(node)
            for (nxt, shape, kind), g in zip(node._inputs, results):
                if nxt is None:
                    continue
                if g is not None:
                    g = _sum_to(g, shape)
                    if g._data.dtype is not kind:  # a promoted op: the gradient takes the input's dtype
                        g = g.to(FROM_NP[kind])
                    buffers[nxt] = buffers[nxt] + g if nxt in buffers else g
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    if nxt in buffers:
                        ready.append(nxt)
                    else:
                        _skip(nxt, deps, ready, buffers)
            results = g = grad = None  # so that the buffers alone hold the gradients (see _SOLE)
    finally:
        _enabled[0] = prev_mode
    if not retain_graph:
        for node in executed:
            node._free()
    return captured


def _skip(node, deps, ready, buffers) -> None:
    """A node all of whose incoming gradients were None: release its successors likewise."""
    stack = [node]
    while stack:
        n = stack.pop()
        for nxt, _, _ in n._inputs:
            if nxt is None:
                continue
            deps[nxt] -= 1
            if deps[nxt] == 0:
                if nxt in buffers:
                    ready.append(nxt)
                else:
                    stack.append(nxt)


def _accumulate_retained(tensor, grad, create_graph: bool) -> None:
    if tensor._grad is None:
        tensor._grad = grad if create_graph else grad.detach()._owned_copy()
    else:
        tensor._grad = tensor._grad + grad


def _node_of(tensor):
    node = tensor.grad_fn  # the property: regenerates a stale view's node
    return node if node is not None else tensor._accumulator()


def _make_grads(outputs, grad_outputs):
    grads = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if not out._requires_grad:
                raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
            g = Tensor._wrap(out._backend.full(out._data.shape, 1, out.dtype), out._backend)
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"gradient must be a Tensor, got {type(g).__name__}")
            if g.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {g.shape} and output[0] "
                    f"has a shape of {out.shape}.")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate the gradients of tensors into the .grad of the leaves of their graph."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    tensors = tuple(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,) * len(tensors) if grad_tensors is None else (grad_tensors,)
    grads = _make_grads(tensors, tuple(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    for t in tensors:
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    roots = [_node_of(t) for t in tensors]
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        captured = run_backward(roots, grads, retain_graph, create_graph,
                                capture={_node_of(i): k for k, i in enumerate(inputs)})
        for i in inputs:
            g = captured.get(_node_of(i))
            if g is not None:
                _accumulate_retained(i, g, create_graph) if i._grad_fn is not None else \
                    _accumulate(i._accumulator(), g, create_graph)
        return
    run_backward(roots, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of outputs with respect to inputs, returned (``.grad`` is not touched)."""
    single_output = isinstance(outputs, Tensor)
    outputs = (outputs,) if single_output else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for i in inputs:
        if not isinstance(i, Tensor):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got {type(i).__name__}")
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    for i in inputs:
        if not i._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    for o in outputs:
        if not o._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    grads = _make_grads(outputs, tuple(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    nodes = [_node_of(i) for i in inputs]
    captured = run_backward([_node_of(o) for o in outputs], grads, retain_graph, create_graph,
                            capture={n: k for k, n in enumerate(nodes)})
    result = []
    for i, n in zip(inputs, nodes):
        g = captured.get(n)
        if g is None:
            if materialize_grads:
                g = i.new_zeros(i.shape) if hasattr(i, "new_zeros") else None
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior.")
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


@method(name="backward")
def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate d(self)/d(leaf) into every leaf's .grad (gradient defaults to 1 for scalars)."""
    backward(self, gradient, retain_graph, create_graph, inputs)
