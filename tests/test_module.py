"""Tests for nn.Parameter, nn.Module and the containers (Sequential, ModuleList, ModuleDict).

Where torch is installed the same model is built in both frameworks and reprs, names,
state_dict keys and error messages must match character for character.
"""
from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import minitorch
from minitorch import nn
from tests._compat import requires_torch, torch


# ----- models built the same way in both frameworks ----------------------------------------
def _classes(lib, lib_nn):
    """Tiny Module subclasses written against ``lib`` (minitorch or torch)."""

    class Leaf(lib_nn.Module):
        def __init__(self, n_in: int, n_out: int) -> None:
            super().__init__()
            self.weight = lib_nn.Parameter(lib.ones(n_out, n_in))
            self.bias = lib_nn.Parameter(lib.zeros(n_out))
            self.register_buffer("count", lib.zeros(1, dtype=lib.int64))
            self.register_buffer("scratch", lib.zeros(n_out), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

        def extra_repr(self) -> str:
            return f"n_out={self.weight.shape[0]}"

    class Net(lib_nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = lib_nn.Parameter(lib.tensor(2.0))
            self.fc = Leaf(2, 3)
            self.seq = lib_nn.Sequential(Leaf(3, 3), lib_nn.Sequential(), Leaf(3, 1))
            self.blocks = lib_nn.ModuleList([Leaf(1, 1) for _ in range(3)] + [lib_nn.Module()])
            self.heads = lib_nn.ModuleDict({"a": Leaf(1, 2), "b": Leaf(1, 1)})
            self.alias = self.fc  # the same module twice: its parameters are listed once

        def forward(self, x):
            return self.seq(self.fc(x)) * self.scale

    return Leaf, Net


Leaf, Net = _classes(minitorch, nn)
if torch is not None:
    TLeaf, TNet = _classes(torch, torch.nn)


class Pickleable(nn.Module):
    """Module-level (so pickle can find it by name)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(minitorch.randn(2, 3))
        self.register_buffer("steps", minitorch.tensor(4))
        self.same = self.w


def error_of(fn) -> tuple[type, str]:
    """The type and text of the exception fn raises."""
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def assert_same_error(ours, theirs) -> None:
    """Same exception type and text; class paths may say minitorch where torch's say torch."""
    our_type, our_text = error_of(ours)
    assert (our_type, our_text.replace("minitorch.", "torch.")) == error_of(theirs)


# ----- Parameter ------------------------------------------------------------------------------
class TestParameter:
    def test_shares_memory_with_data_and_requires_grad(self):
        data = minitorch.zeros(2, 2)
        p = nn.Parameter(data)
        data.add_(1.0)
        assert isinstance(p, minitorch.Tensor) and p.requires_grad and p.is_leaf
        assert p.tolist() == [[1.0, 1.0], [1.0, 1.0]]

    def test_default_is_empty_float32(self):
        p = nn.Parameter()
        assert p.shape == (0,) and p.dtype is minitorch.float32 and p.requires_grad

    def test_requires_grad_false(self):
        assert not nn.Parameter(minitorch.ones(2), requires_grad=False).requires_grad

    def test_detaches_a_non_leaf(self):
        x = minitorch.ones(2, requires_grad=True)
        p = nn.Parameter(x * 2)
        assert p.is_leaf and p.grad_fn is None and p.requires_grad

    def test_ops_return_plain_tensors_and_gradients_flow(self):
        p = nn.Parameter(minitorch.tensor([1.0, 2.0]))
        y = (p * p).sum()
        assert type(p * 2) is minitorch.Tensor
        y.backward()
        assert p.grad.tolist() == [2.0, 4.0]

    def test_deepcopy_is_independent_and_keeps_sharing(self):
        p = nn.Parameter(minitorch.ones(2), requires_grad=False)
        a, b = copy.deepcopy([p, p])
        assert a is b and type(a) is nn.Parameter and not a.requires_grad
        a.data.add_(1.0)
        assert p.tolist() == [1.0, 1.0]

    def test_pickle_round_trip(self):
        p = nn.Parameter(minitorch.tensor([1.5, -2.0]))
        p.tag = "kept"
        q = pickle.loads(pickle.dumps(p))
        assert type(q) is nn.Parameter and q.requires_grad and q.tolist() == [1.5, -2.0] and q.tag == "kept"

    @requires_torch
    @pytest.mark.parametrize("requires_grad", [True, False])
    def test_repr_matches_torch(self, requires_grad):
        values = [[0.5, -1.25], [3.0, 4.0]]
        ours = nn.Parameter(minitorch.tensor(values), requires_grad=requires_grad)
        theirs = torch.nn.Parameter(torch.tensor(values), requires_grad=requires_grad)
        assert repr(ours) == repr(theirs)
        assert repr(nn.Parameter()) == repr(torch.nn.Parameter())

    @requires_torch
    def test_integer_data_error_matches_torch(self):
        assert_same_error(lambda: nn.Parameter(minitorch.tensor([1, 2])),
                          lambda: torch.nn.Parameter(torch.tensor([1, 2])))


# ----- registration and attribute access ---------------------------------------------------------
class TestRegistration:
    def test_assignment_registers_parameters_buffers_and_modules(self):
        m = Leaf(2, 3)
        m.plain = minitorch.ones(1)  # a plain tensor is just an attribute
        m.child = nn.Module()
        assert list(m._parameters) == ["weight", "bias"]
        assert list(m._buffers) == ["count", "scratch"]
        assert list(m._modules) == ["child"]
        assert "plain" in m.__dict__ and m.weight is m._parameters["weight"]

    def test_a_parameter_replaces_a_module_or_buffer_of_the_same_name(self):
        m = nn.Module()
        m.x = nn.Module()
        m.register_buffer("y", minitorch.ones(1), persistent=False)
        m.x = nn.Parameter(minitorch.ones(1))
        m.y = nn.Parameter(minitorch.ones(1))
        assert list(m._parameters) == ["x", "y"] and not m._modules and not m._buffers
        assert not m._non_persistent_buffers_set

    def test_none_unsets_a_parameter_and_it_leaves_state_dict(self):
        m = Leaf(1, 1)
        m.bias = None
        assert m.bias is None and list(m.state_dict()) == ["weight", "count"]

    def test_delattr_removes_from_the_registry(self):
        m = Leaf(1, 1)
        del m.weight, m.count
        assert list(m.state_dict()) == ["bias"]
        with pytest.raises(AttributeError):
            m.weight

    def test_assigning_to_a_buffer_name_keeps_it_a_buffer(self):
        m = Leaf(1, 1)
        m.scratch = minitorch.ones(1)
        assert m._buffers["scratch"].tolist() == [1.0] and "scratch" not in m.state_dict()

    def test_before_init_is_an_attribute_error(self):
        class Early(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(minitorch.ones(1))

        assert error_of(Early) == (AttributeError, "cannot assign parameters before Module.__init__() call")

    def test_init_rejects_arguments(self):
        assert error_of(lambda: nn.Module(3)) == (
            TypeError, "Module.__init__() takes 1 positional argument but 2 were given")
        assert error_of(lambda: nn.Module(x=1)) == (
            TypeError, "Module.__init__() got an unexpected keyword argument 'x'")

    def test_missing_forward(self):
        assert error_of(lambda: nn.Module()(1)) == (
            NotImplementedError, 'Module [Module] is missing the required "forward" function')

    def test_unknown_attribute(self):
        assert error_of(lambda: Net().nope) == (AttributeError, "'Net' object has no attribute 'nope'")

    @requires_torch
    @pytest.mark.parametrize("action", [
        lambda lib, m: setattr(m.fc, "weight", lib.ones(3, 2)),
        lambda lib, m: setattr(m, "fc", 3),
        lambda lib, m: setattr(m.fc, "count", "x"),
        lambda lib, m: m.register_parameter("a.b", None),
        lambda lib, m: m.register_parameter("", None),
        lambda lib, m: m.register_parameter("fc", None),
        lambda lib, m: m.register_parameter(1, None),
        lambda lib, m: m.register_parameter("p", lib.ones(1)),
        lambda lib, m: m.register_buffer("a.b", None),
        lambda lib, m: m.register_buffer("scale", lib.ones(1)),
        lambda lib, m: m.register_buffer("q", [1.0]),
        lambda lib, m: m.add_module("x", 3),
        lambda lib, m: m.add_module("a.b", None),
        lambda lib, m: m.add_module("", None),
        lambda lib, m: m.add_module("scale", None),
        lambda lib, m: m.get_submodule("seq.7"),
        lambda lib, m: m.get_submodule("scale"),
        lambda lib, m: m.get_parameter("fc.count"),
        lambda lib, m: m.get_parameter("fc.nothing"),
        lambda lib, m: m.get_buffer("fc.weight"),
        lambda lib, m: m.set_submodule("", m.fc),
        lambda lib, m: m.set_submodule("seq.new", m.fc, strict=True),
        lambda lib, m: m.train("yes"),
        lambda lib, m: m.to(lib.int64),
        lambda lib, m: m.load_state_dict([1]),
    ])
    def test_errors_match_torch(self, action):
        assert_same_error(lambda: action(minitorch, Net()), lambda: action(torch, TNet()))

    def test_get_submodule_parameter_and_buffer(self):
        m = Net()
        assert m.get_submodule("") is m and m.get_submodule("seq.2") is m.seq[2]
        assert m.get_parameter("heads.a.weight") is m.heads["a"].weight
        assert m.get_buffer("fc.count") is m.fc.count

    def test_set_submodule_replaces_and_adds(self):
        m = Net()
        new = Leaf(3, 3)
        m.set_submodule("seq.0", new)
        m.set_submodule("seq.extra", new)
        assert m.seq[0] is new and m.seq.extra is new

    def test_dir_lists_registered_names_but_not_numbered_children(self):
        names = dir(Net())
        assert {"scale", "fc", "seq", "heads", "forward"} <= set(names)
        assert "0" not in dir(Net().seq) and names == sorted(names)


# ----- iteration ------------------------------------------------------------------------------------
class TestIteration:
    @requires_torch
    @pytest.mark.parametrize("call", [
        lambda m: [n for n, _ in m.named_parameters()],
        lambda m: [n for n, _ in m.named_parameters(remove_duplicate=False)],
        lambda m: [n for n, _ in m.named_parameters(prefix="model", recurse=False)],
        lambda m: [n for n, _ in m.named_buffers()],
        lambda m: [n for n, _ in m.named_buffers(prefix="net")],
        lambda m: [n for n, _ in m.named_children()],
        lambda m: [n for n, _ in m.named_modules()],
        lambda m: [n for n, _ in m.named_modules(prefix="root", remove_duplicate=False)],
        lambda m: [type(c).__name__ for c in m.modules()],
        lambda m: [tuple(p.shape) for p in m.parameters()],
        lambda m: [tuple(b.shape) for b in m.buffers(recurse=False)],
    ])
    def test_names_and_order_match_torch(self, call):
        assert call(Net()) == call(TNet())

    def test_shared_parameter_is_listed_once(self):
        m = nn.Module()
        m.a = Leaf(1, 1)
        m.b = nn.Module()
        m.b.w = m.a.weight
        assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias"]
        assert len(list(m.parameters())) == 2

    def test_named_modules_memo_skips_known_modules(self):
        m = Net()
        names = [n for n, _ in m.named_modules(memo={m.seq})]
        assert "seq" not in names and "seq.0" not in names and "fc" in names

    def test_apply_visits_children_before_parent(self):
        seen = []
        m = nn.Sequential(Leaf(1, 1), nn.Sequential(Leaf(1, 1)))
        assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
        assert seen == ["Leaf", "Leaf", "Sequential", "Sequential"]


# ----- modes and gradients ------------------------------------------------------------------------
class TestModes:
    def test_train_and_eval_are_recursive_and_return_self(self):
        m = Net()
        assert m.eval() is m
        assert all(not mod.training for mod in m.modules())
        assert m.train() is m and all(mod.training for mod in m.modules())
        m.train(False)
        assert not m.heads["a"].training

    def test_zero_grad_sets_to_none_or_zeros(self):
        m = Leaf(2, 1)
        m(minitorch.ones(3, 2)).sum().backward()
        assert m.weight.grad.tolist() == [[3.0, 3.0]]
        m.zero_grad(set_to_none=False)
        assert m.weight.grad.tolist() == [[0.0, 0.0]] and not m.weight.grad.requires_grad
        m.zero_grad()
        assert m.weight.grad is None and m.bias.grad is None

    def test_requires_grad_freezes_every_parameter(self):
        m = Net()
        assert m.requires_grad_(False) is m
        assert not any(p.requires_grad for p in m.parameters())


# ----- conversion -----------------------------------------------------------------------------------
class TestConversion:
    def test_double_keeps_parameter_identity_and_skips_integer_buffers(self):
        m = Leaf(2, 1)
        weight = m.weight
        m(minitorch.ones(1, 2)).sum().backward()
        assert m.double() is m
        assert m.weight is weight and type(weight) is nn.Parameter and weight.requires_grad
        assert weight.dtype is minitorch.float64 and weight.grad.dtype is minitorch.float64
        assert m.scratch.dtype is minitorch.float64 and m.count.dtype is minitorch.int64
        m.float()
        assert weight.dtype is minitorch.float32 and m.scratch.dtype is minitorch.float32

    @pytest.mark.parametrize("args", [(minitorch.float64,), ("cpu", minitorch.float64),
                                      (minitorch.zeros(1, dtype=minitorch.float64),)])
    def test_to_casts_floating_tensors(self, args):
        m = Leaf(1, 1)
        assert m.to(*args) is m
        assert m.weight.dtype is minitorch.float64 and m.count.dtype is minitorch.int64

    def test_to_keyword_dtype_and_half_and_type(self):
        m = Leaf(1, 1)
        assert m.to(dtype=minitorch.float64).weight.dtype is minitorch.float64
        assert m.half().bias.dtype is minitorch.float16
        assert m.type(minitorch.float32).weight.dtype is minitorch.float32

    def test_cpu_and_share_memory_are_no_ops(self):
        m = Leaf(1, 1)
        weight = m.weight
        assert m.cpu() is m and m.share_memory() is m and m.weight is weight

    @pytest.mark.parametrize("move", [lambda m: m.cuda(), lambda m: m.to("cuda"), lambda m: m.to("cuda:0"),
                                      lambda m: nn.Module().cuda()])
    def test_cuda_raises_the_backend_error(self, move, no_cuda):
        expected = error_of(lambda: minitorch._backends.get(minitorch.device("cuda")))
        kind, message = error_of(lambda: move(Leaf(1, 1)))
        assert kind is expected[0] and message.startswith("CUDA is not available: ")


# ----- state_dict -----------------------------------------------------------------------------------
class TestStateDict:
    @requires_torch
    def test_keys_and_order_match_torch(self):
        assert list(Net().state_dict()) == list(TNet().state_dict())
        assert list(Net().state_dict(prefix="m.")) == list(TNet().state_dict(prefix="m."))

    def test_values_are_detached_views_of_the_parameters(self):
        m = Leaf(2, 1)
        sd = m.state_dict()
        assert isinstance(sd, OrderedDict) and type(sd["weight"]) is minitorch.Tensor
        assert not sd["weight"].requires_grad
        with minitorch.no_grad():
            m.weight.add_(1.0)
        assert sd["weight"].tolist() == [[2.0, 2.0]]

    def test_keep_vars_returns_the_parameters_themselves(self):
        m = Leaf(2, 1)
        assert m.state_dict(keep_vars=True)["weight"] is m.weight

    def test_destination_is_filled_and_returned(self):
        dest = {}
        assert Leaf(1, 1).state_dict(destination=dest) is dest and list(dest) == ["weight", "bias", "count"]

    def test_load_copies_in_place(self):
        m, other = Leaf(2, 1), Leaf(2, 1)
        with minitorch.no_grad():
            other.weight.fill_(5.0)
            other.count.fill_(7)
        weight = m.weight
        result = m.load_state_dict(other.state_dict())
        assert repr(result) == "<All keys matched successfully>"
        assert result.missing_keys == [] and result.unexpected_keys == []
        assert m.weight is weight and weight.tolist() == [[5.0, 5.0]] and weight.requires_grad
        assert m.count.tolist() == [7]
        assert m.weight.data_ptr() != other.weight.data_ptr()

    def test_load_with_assign_takes_the_given_tensors(self):
        m = Leaf(2, 1)
        new = minitorch.full((1, 2), 3.0)
        m.load_state_dict({"weight": new, "bias": minitorch.zeros(1), "count": minitorch.zeros(1)},
                          assign=True)
        assert type(m.weight) is nn.Parameter and m.weight.requires_grad
        assert m.weight.data_ptr() == new.data_ptr()

    def test_non_strict_load_reports_keys(self):
        result = Leaf(2, 1).load_state_dict({"weight": minitorch.ones(1, 2), "extra": minitorch.ones(1)},
                                            strict=False)
        assert result.missing_keys == ["bias", "count"] and result.unexpected_keys == ["extra"]
        assert repr(result) == "_IncompatibleKeys(missing_keys=['bias', 'count'], unexpected_keys=['extra'])"

    def test_scalar_parameter_loads_from_a_one_element_vector(self):
        m = Net()
        m.load_state_dict({"scale": minitorch.tensor([3.0])}, strict=False)
        assert m.scale.item() == 3.0

    @requires_torch
    @pytest.mark.parametrize("edit", [
        lambda lib, sd: sd.pop("fc.bias"),
        lambda lib, sd: sd.update({"fc.other": lib.ones(1), "nothing.x": lib.ones(1)}),
        lambda lib, sd: sd.update({"seq.0.weight": lib.ones(4, 4), "scale": lib.ones(2)}),
        lambda lib, sd: (sd.pop("heads.a.count"), sd.update({"blocks.9.weight": lib.ones(1)}),
                         sd.update({"fc.weight": lib.ones(3, 4)})),
        lambda lib, sd: sd.update({"fc.bias": [1.0, 2.0, 3.0]}),
    ])
    def test_load_errors_match_torch(self, edit):
        def attempt(lib, model):
            sd = model.state_dict()
            edit(lib, sd)
            return lambda: model.load_state_dict(sd)
        assert_same_error(attempt(minitorch, Net()), attempt(torch, TNet()))

    @requires_torch
    def test_torch_state_dict_loads_and_gives_torch_outputs(self):
        torch.manual_seed(0)
        theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
        ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        ours.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
        expected = theirs(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(ours(minitorch.tensor(x)).detach().numpy(), expected, rtol=1e-6, atol=1e-6)

    def test_extra_state_is_saved_and_loaded(self):
        class Counter(nn.Module):
            def __init__(self):
                super().__init__()
                self.n = 0

            def get_extra_state(self):
                return {"n": self.n}

            def set_extra_state(self, state):
                self.n = state["n"]

        a, b = Counter(), Counter()
        a.n = 5
        b.load_state_dict(a.state_dict())
        assert list(a.state_dict()) == ["_extra_state"] and b.n == 5


# ----- hooks ------------------------------------------------------------------------------------------
class TestHooks:
    def test_pre_hook_can_replace_the_input(self):
        m = Leaf(1, 1)
        handle = m.register_forward_pre_hook(lambda mod, args: args[0] * 10)
        assert m(minitorch.ones(1, 1)).tolist() == [[10.0]]
        handle.remove()
        assert m(minitorch.ones(1, 1)).tolist() == [[1.0]]

    def test_forward_hook_sees_input_and_output_and_can_replace_output(self):
        m = Leaf(1, 1)
        seen = []

        def hook(mod, args, output):
            seen.append((mod, args[0].tolist(), output.tolist()))
            return output + 1

        m.register_forward_hook(hook)
        assert m(minitorch.full((1, 1), 2.0)).tolist() == [[3.0]]
        assert seen == [(m, [[2.0]], [[2.0]])]

    def test_hooks_with_kwargs(self):
        class Scale(nn.Module):
            def forward(self, x, factor=1.0):
                return x * factor

        m = Scale()
        m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["factor"], with_kwargs=True)
        assert m(minitorch.ones(1)).tolist() == [6.0]

    def test_prepend_runs_first_and_removal_keeps_the_others(self):
        m = Leaf(1, 1)
        order = []
        first = m.register_forward_hook(lambda *a: order.append("first"))
        m.register_forward_hook(lambda *a: order.append("second"))
        m.register_forward_hook(lambda *a: order.append("zeroth"), prepend=True)
        m(minitorch.ones(1, 1))
        first.remove()
        first.remove()  # removing twice is harmless
        m(minitorch.ones(1, 1))
        assert order == ["zeroth", "first", "second", "zeroth", "second"]

    def test_always_call_hook_runs_when_forward_raises(self):
        class Broken(nn.Module):
            def forward(self, x):
                raise ValueError("bad input")

        m = Broken()
        calls = []
        m.register_forward_hook(lambda mod, args, out: calls.append(out), always_call=True)
        m.register_forward_hook(lambda mod, args, out: calls.append("never"))
        with pytest.raises(ValueError, match="bad input"):
            m(1)
        assert calls == [None]

    def test_handle_is_a_context_manager(self):
        m = Leaf(1, 1)
        with m.register_forward_hook(lambda mod, args, out: out * 0):
            assert m(minitorch.ones(1, 1)).tolist() == [[0.0]]
        assert m(minitorch.ones(1, 1)).tolist() == [[1.0]]

    def test_bad_kwargs_pre_hook_result(self):
        m = Leaf(1, 1)
        m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
        assert error_of(lambda: m(minitorch.ones(1, 1))) == (
            RuntimeError, "forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got 5.")


# ----- printing ---------------------------------------------------------------------------------------
class TestRepr:
    @requires_torch
    def test_nested_model_matches_torch(self):
        assert repr(Net()) == repr(TNet())

    @requires_torch
    def test_multiline_extra_repr_and_empty_modules_match_torch(self):
        def build(lib_nn):
            class Multi(lib_nn.Module):
                def extra_repr(self):
                    return "a=1\nb=2"

            outer = lib_nn.Module()
            outer.multi = Multi()
            outer.empty = lib_nn.Module()
            outer.none = None
            return outer, Multi()

        assert [repr(m) for m in build(nn)] == [repr(m) for m in build(torch.nn)]

    @requires_torch
    def test_linear_model_matches_torch(self):
        ours = nn.Sequential(OrderedDict(fc1=nn.Linear(4, 8), act=nn.ReLU(), fc2=nn.Linear(8, 2, bias=False)))
        theirs = torch.nn.Sequential(OrderedDict(fc1=torch.nn.Linear(4, 8), act=torch.nn.ReLU(),
                                                 fc2=torch.nn.Linear(8, 2, bias=False)))
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())


# ----- copying and pickling --------------------------------------------------------------------------
class TestCopy:
    def test_deepcopy_copies_values_and_keeps_sharing(self):
        m = Net()
        c = copy.deepcopy(m)
        assert c.alias is c.fc and c.fc.weight is not m.fc.weight
        with minitorch.no_grad():
            c.fc.weight.fill_(9.0)
        assert m.fc.weight.tolist()[0][0] == 1.0

    def test_pickle_round_trip(self):
        m = Pickleable()
        c = pickle.loads(pickle.dumps(m))
        assert type(c.w) is nn.Parameter and c.same is c.w and c.steps.item() == 4
        assert c.w.tolist() == m.w.tolist()


# ----- Sequential ------------------------------------------------------------------------------------
def _three():
    return [Leaf(1, 1), Leaf(1, 2), Leaf(2, 3)]


class TestSequential:
    def test_forward_chains_the_modules(self):
        seq = nn.Sequential(*_three())
        assert seq(minitorch.ones(4, 1)).shape == (4, 3)

    def test_indexing_slicing_and_len(self):
        a, b, c = _three()
        seq = nn.Sequential(a, b, c)
        assert seq[0] is a and seq[-1] is c and len(seq) == 3 and list(seq) == [a, b, c]
        tail = seq[1:]
        assert type(tail) is nn.Sequential and list(tail._modules) == ["1", "2"] and tail[0] is b
        with pytest.raises(IndexError, match="index 3 is out of range"):
            seq[3]

    def test_ordered_dict_names(self):
        seq = nn.Sequential(OrderedDict(first=Leaf(1, 1), second=Leaf(1, 1)))
        assert list(seq.state_dict()) == ["first.weight", "first.bias", "first.count",
                                          "second.weight", "second.bias", "second.count"]
        assert seq.first is seq[0]

    def test_mutation_renumbers(self):
        a, b, c = _three()
        seq = nn.Sequential(a, b)
        seq.append(c)
        seq.insert(0, c)
        assert list(seq) == [c, a, b, c]
        del seq[1]
        assert list(seq) == [c, b, c] and list(seq._modules) == ["0", "1", "2"]
        assert seq.pop(-1) is c and list(seq) == [c, b]
        seq[0] = a
        seq.extend([c])
        assert list(seq) == [a, b, c]
        del seq[:2]
        assert list(seq) == [c]

    def test_add_and_multiply(self):
        a, b, c = _three()
        assert list(nn.Sequential(a) + nn.Sequential(b, c)) == [a, b, c]
        seq = nn.Sequential(a)
        seq += nn.Sequential(b)
        assert list(seq) == [a, b]
        assert list(nn.Sequential(a, b) * 2) == [a, b, a, b]
        assert list(2 * nn.Sequential(a)) == [a, a]

    @requires_torch
    @pytest.mark.parametrize("action", [
        lambda lib_nn: lib_nn.Sequential() + [1],
        lambda lib_nn: lib_nn.Sequential() * 0,
        lambda lib_nn: lib_nn.Sequential() * 1.5,
        lambda lib_nn: lib_nn.Sequential(lib_nn.Module())[-2],
        lambda lib_nn: lib_nn.Sequential().insert(3, lib_nn.Module()),
        lambda lib_nn: lib_nn.Sequential().insert(0, 1),
        lambda lib_nn: lib_nn.Sequential(1),
    ])
    def test_errors_match_torch(self, action):
        assert_same_error(lambda: action(nn), lambda: action(torch.nn))

    @requires_torch
    def test_repr_matches_torch(self):
        def build(lib, lib_nn, leaf):
            seq = lib_nn.Sequential(leaf(1, 1), lib_nn.Sequential(leaf(1, 2)), leaf(2, 2))
            return [seq, seq[1:], seq + seq, lib_nn.Sequential()]
        assert [repr(s) for s in build(minitorch, nn, Leaf)] == [repr(s) for s in build(torch, torch.nn, TLeaf)]


# ----- ModuleList ------------------------------------------------------------------------------------
class TestModuleList:
    def test_list_api(self):
        a, b, c = _three()
        ml = nn.ModuleList([a])
        ml.append(b).extend([c])
        assert list(ml) == [a, b, c] and len(ml) == 3 and ml[-1] is c
        ml.insert(1, c)
        assert list(ml) == [a, c, b, c]
        assert ml.pop(1) is c and list(ml) == [a, b, c]
        ml[0] = c
        del ml[1]
        assert list(ml) == [c, c] and list(ml._modules) == ["0", "1"]
        ml += [a]
        assert list(ml + nn.ModuleList([b])) == [c, c, a, b]
        assert type(ml[1:]) is nn.ModuleList and list(ml[1:]) == [c, a]

    def test_parameters_are_registered(self):
        ml = nn.ModuleList(_three())
        assert [n for n, _ in ml.named_parameters()][:3] == ["0.weight", "0.bias", "1.weight"]

    @requires_torch
    @pytest.mark.parametrize("action", [
        lambda lib_nn: lib_nn.ModuleList()[0],
        lambda lib_nn: lib_nn.ModuleList().extend(3),
        lambda lib_nn: lib_nn.ModuleList([lib_nn.Module()])(1),
    ])
    def test_errors_match_torch(self, action):
        assert_same_error(lambda: action(nn), lambda: action(torch.nn))

    @requires_torch
    def test_repr_compresses_repeats_like_torch(self):
        def build(lib_nn, leaf):
            return [lib_nn.ModuleList([leaf(1, 1), leaf(1, 1), leaf(1, 2), leaf(1, 1), leaf(1, 1), leaf(1, 1)]),
                    lib_nn.ModuleList([lib_nn.Sequential(leaf(1, 1))] * 2), lib_nn.ModuleList()]
        assert [repr(m) for m in build(nn, Leaf)] == [repr(m) for m in build(torch.nn, TLeaf)]


# ----- ModuleDict ------------------------------------------------------------------------------------
class TestModuleDict:
    def test_dict_api(self):
        a, b, c = _three()
        md = nn.ModuleDict({"a": a})
        md["b"] = b
        md.update([("c", c)])
        assert list(md) == ["a", "b", "c"] and list(md.keys()) == ["a", "b", "c"]
        assert list(md.values()) == [a, b, c] and list(md.items())[1] == ("b", b)
        assert "a" in md and "z" not in md and len(md) == 3 and md["c"] is c
        assert md.pop("a") is a and list(md) == ["b", "c"]
        del md["b"]
        md.update(nn.ModuleDict({"d": a}))
        assert list(md) == ["c", "d"]
        md.clear()
        assert len(md) == 0

    @requires_torch
    @pytest.mark.parametrize("action", [
        lambda lib_nn: lib_nn.ModuleDict(3),
        lambda lib_nn: lib_nn.ModuleDict([("a", lib_nn.Module(), 1)]),
        lambda lib_nn: lib_nn.ModuleDict([3]),
        lambda lib_nn: lib_nn.ModuleDict({"a.b": lib_nn.Module()}),
        lambda lib_nn: lib_nn.ModuleDict()["missing"],
    ])
    def test_errors_match_torch(self, action):
        assert_same_error(lambda: action(nn), lambda: action(torch.nn))

    @requires_torch
    def test_repr_matches_torch(self):
        def build(lib_nn, leaf):
            return [lib_nn.ModuleDict({"x": leaf(1, 1), "y": lib_nn.ModuleList([leaf(1, 1)])}), lib_nn.ModuleDict()]
        assert [repr(m) for m in build(nn, Leaf)] == [repr(m) for m in build(torch.nn, TLeaf)]
