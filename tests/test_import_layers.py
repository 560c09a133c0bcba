"""The layers of docs/design.md, checked: no module imports from a layer above its own.

Every import statement of every module under minitorch/ is read from the source (those at
module level and those inside functions alike), resolved to the minitorch module it names,
and compared by layer. A module may import from its own layer and the layers below."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "minitorch"

# Bottom to top, as docs/design.md draws them. A module belongs to the first (longest) prefix
# that matches its dotted name.
LAYERS = [
    ("foundation", ["minitorch.dtypes", "minitorch._size", "minitorch.device", "minitorch._threads",
                    "minitorch._printing", "minitorch._unsupported", "minitorch._grad_enabled",
                    "minitorch._layouts", "minitorch._flags", "minitorch._shared_memory"]),
    ("backends", ["minitorch._backends"]),
    ("tensor", ["minitorch.tensor"]),
    ("declarations", ["minitorch._declare"]),
    ("autograd", ["minitorch.autograd"]),
    ("ops", ["minitorch._ops", "minitorch._creation", "minitorch.random"]),
    ("package", ["minitorch"]),
    ("distributed", ["minitorch.distributed"]),
    ("nn", ["minitorch.nn"]),
    ("optim", ["minitorch.optim"]),
    ("data", ["minitorch.utils"]),
    # Checkpoints hold whole modules (Parameters, any picklable object): above nn.
    ("serialization", ["minitorch.serialization", "minitorch._torch_format", "minitorch._torch_writer",
                       "minitorch._checkpoint_pickle", "minitorch._checkpoint_zip", "minitorch._checkpoint_files"]),
    ("applications", ["minitorch.vision", "minitorch.train", "minitorch.viz", "minitorch.onnx", "minitorch.hub",
                      "minitorch.multiprocessing"]),
]


def _layer(module: str) -> int:
    best, rank = -1, None
    for k, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), k
    return rank


def _modules() -> dict:
    """Dotted module name -> source path, for every module of the package."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: pathlib.Path):
    """(line, imported minitorch module) for every import statement of the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "minitorch":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "minitorch":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield node.lineno, sub if sub in MODULES else target


def test_every_module_has_a_layer():
    assert [m for m in MODULES if _layer(m) is None] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_from_a_layer_above_its_own(name):
    own = _layer(name)
    upward = [f"line {line}: {target} ({LAYERS[_layer(target)][0]})" for line, target in _imports(name, MODULES[name])
              if target in MODULES and _layer(target) > own and not name == "minitorch"]
    assert not upward, f"{name} ({LAYERS[own][0]}) imports upward: {upward}"


def test_the_check_finds_an_upward_import(tmp_path):
    """The checker itself: a tensor-layer module importing nn is reported."""
    path = tmp_path / "tensor.py"
    path.write_text("from .nn import functional\n")
    assert [t for _, t in _imports("minitorch.tensor", path)] == ["minitorch.nn.functional"]
    assert _layer("minitorch.nn.functional") > _layer("minitorch.tensor")
