"""minitorch.viz.make_dot: the DOT text of autograd graphs, and rendering through Graphviz's dot."""
import re
import shutil
import sys

import pytest

import minitorch
from minitorch import viz
from minitorch.viz import make_dot

NODE = re.compile(r'^    (n\d+) \[label="((?:[^"\\]|\\.)*)"(?: fillcolor=(\w+))?\]$', re.M)
EDGE = re.compile(r"^    (n\d+) -> (n\d+)(?: \[(.*)\])?$", re.M)


def parse(source):
    """(labels, colors, edges): node labels in order, their fill colours, edges as label pairs."""
    labels = {nid: label.replace("\\n", "\n") for nid, label, _ in NODE.findall(source)}
    colors = {labels[nid]: color for nid, _, color in NODE.findall(source)}
    edges = [(labels[a], labels[b], attrs) for a, b, attrs in EDGE.findall(source)]
    return list(labels.values()), colors, edges


def tutorial():
    minitorch.manual_seed(1)
    x = minitorch.randn((5, 1))
    y = minitorch.randn((3, 1))
    w = minitorch.randn(3, 5, requires_grad=True)
    b = minitorch.randn(3, 1, requires_grad=True)
    z = minitorch.matmul(w, x) + b
    loss = minitorch.nn.MSELoss()(z, y)
    return w, b, loss


def test_tutorial_graph_nodes_and_edges():
    w, b, loss = tutorial()
    labels, colors, edges = parse(make_dot(loss).source)
    assert sorted(labels) == sorted(["()", "MseLossBackward0", "AddBackward0", "MmBackward0",
                                     "(3, 5)", "(3, 1)"])
    assert sorted(edges) == sorted([("MseLossBackward0", "()", ""), ("AddBackward0", "MseLossBackward0", ""),
                                    ("MmBackward0", "AddBackward0", ""), ("(3, 1)", "AddBackward0", ""),
                                    ("(3, 5)", "MmBackward0", "")])
    assert colors == {"()": "darkolivegreen1", "(3, 5)": "lightblue", "(3, 1)": "lightblue",
                      "MseLossBackward0": "", "AddBackward0": "", "MmBackward0": ""}


def test_tutorial_graph_with_params_names_the_leaves():
    w, b, loss = tutorial()
    for params in ({"w": w, "b": b}, [("w", w), ("b", b)]):
        labels, _, edges = parse(make_dot(loss, params=params).source)
        assert sorted(labels) == sorted(["()", "MseLossBackward0", "AddBackward0", "MmBackward0",
                                         "w\n (3, 5)", "b\n (3, 1)"])
        assert ("w\n (3, 5)", "MmBackward0", "") in edges and ("b\n (3, 1)", "AddBackward0", "") in edges


def test_model_parameters_are_named_by_named_parameters():
    model = minitorch.nn.Sequential(minitorch.nn.Linear(4, 3), minitorch.nn.ReLU())
    out = model(minitorch.randn(2, 4)).sum()
    labels, _, _ = parse(make_dot(out, params=model.named_parameters()).source)
    assert "0.weight\n (3, 4)" in labels and "0.bias\n (3)" in labels


def test_the_dot_text_is_a_complete_digraph():
    source = make_dot(tutorial()[2]).source
    assert source.startswith("digraph {\n") and source.endswith("}\n")
    assert "node [align=left fontname=monospace" in source
    assert len(NODE.findall(source)) + len(EDGE.findall(source)) == len(source.splitlines()) - 4


def test_a_shared_node_appears_once_with_one_edge_per_use():
    a = minitorch.ones(3, requires_grad=True)
    h = a.exp()
    out = h + h * 2
    labels, _, edges = parse(make_dot(out).source)
    assert labels.count("ExpBackward0") == 1 and labels.count("(3)") == 2  # leaf and output
    assert [e for e in edges if e[0] == "ExpBackward0"] == [("ExpBackward0", "AddBackward0", ""),
                                                            ("ExpBackward0", "MulBackward0", "")]
    square = a * a  # both inputs of MulBackward0 are the same leaf: two edges, one box
    labels, _, edges = parse(make_dot(square).source)
    assert labels == ["(3)", "MulBackward0", "(3)"]
    assert edges.count(("(3)", "MulBackward0", "")) == 2


def test_several_roots_share_one_graph():
    a = minitorch.ones(2, requires_grad=True)
    h = a * 3
    labels, colors, edges = parse(make_dot([h.sum(), h.mean()]).source)
    assert labels.count("MulBackward0") == 1
    assert {"SumBackward0", "MeanBackward0"} <= set(labels)
    assert list(colors.values()).count("darkolivegreen1") == 1  # both roots are "()": same label


def test_a_tensor_without_history_is_a_single_box():
    labels, colors, edges = parse(make_dot(minitorch.ones(2, 3)).source)
    assert labels == ["(2, 3)"] and edges == []


def test_a_5000_op_chain_is_walked_without_recursion():
    a = minitorch.ones(3, requires_grad=True)
    h = a
    for _ in range(5000):
        h = h * 1.0001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # far below the chain's depth: a recursive walk would fail
    try:
        labels, _, edges = parse(make_dot(h.sum()).source)
    finally:
        sys.setrecursionlimit(limit)
    assert labels.count("MulBackward0") == 5000
    assert len(labels) == 5003 and len(edges) == 5002


def test_show_attrs_lists_the_node_arguments():
    w, b, loss = tutorial()
    labels, _, _ = parse(make_dot(loss, show_attrs=True).source)
    assert "MseLossBackward0\nreduction: mean" in labels
    s = (w * 2).sum(dim=1, keepdim=True)
    labels, _, _ = parse(make_dot(s, show_attrs=True).source)
    assert "SumBackward1\nshape: (3, 5)\ndims: (1,)\nkeepdim: True" in labels
    assert "MulBackward0\nscalar: 2" in labels


def test_show_saved_draws_saved_tensors_dotted_and_leaves_once():
    w, b, loss = tutorial()
    labels, colors, edges = parse(make_dot(loss, params={"w": w, "b": b}, show_saved=True).source)
    assert labels.count("w\n (3, 5)") == 1 and colors["w\n (3, 5)"] == "lightblue"
    assert ("w\n (3, 5)", "MmBackward0", "style=dotted dir=none") in edges
    assert ("(5, 1)", "MmBackward0", "style=dotted dir=none") in edges  # x, saved but not a leaf
    assert colors["(5, 1)"] == "orange"
    loss.backward()  # frees the saved tensors: nothing saved left to draw
    _, _, edges = parse(make_dot(loss, show_saved=True).source)
    assert not [e for e in edges if e[2]]


def test_labels_are_escaped_for_dot():
    a = minitorch.ones(2, requires_grad=True)
    source = make_dot(a * 2, params={'a "quoted" \\ name': a}).source
    assert 'label="a \\"quoted\\" \\\\ name\\n (2)"' in source


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError, match="make_dot expects a Tensor or tensors, got list"):
        make_dot([[1, 2]])
    a = minitorch.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="params must map names to tensors; 'a' is a int"):
        make_dot(a * 2, params={"a": 3})


def test_save_writes_the_dot_text(tmp_path):
    dot = make_dot(tutorial()[2])
    assert dot.save(tmp_path / "g.dot") == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == dot.source


def test_render_without_dot_says_how_to_install_graphviz(monkeypatch, tmp_path):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    dot = make_dot(tutorial()[2])
    with pytest.raises(RuntimeError, match="Graphviz 'dot' program, which is not on PATH; install "
                                           "Graphviz \\(apt-get install graphviz"):
        dot.render(tmp_path / "g", format="svg")
    assert list(tmp_path.iterdir()) == []
    assert dot._repr_svg_() is None  # Jupyter then falls back to another repr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_render_writes_dot_and_the_picture(tmp_path, fmt, magic):
    dot = make_dot(tutorial()[2])
    out = dot.render(tmp_path / "g", format=fmt)
    assert out == str(tmp_path / f"g.{fmt}")
    assert (tmp_path / f"g.{fmt}").read_bytes().startswith(magic)
    assert (tmp_path / "g").read_text() == dot.source
    assert "<svg" in dot._repr_svg_()
