"""Type-check the CUDA kernels for a real GPU on a machine without one.

numba's CUDA simulator runs kernels as Python, so it never types them: a kernel that
passes every simulated test can still fail to compile for a GPU. This script closes
that gap in two steps:

1. run the given CUDA tests in the simulator, recording every kernel launch with the
   types of its arguments (minitorch._backends.cuda._launch.RECORD);
2. in a Python that has NVIDIA's numba-cuda and NVVM (``--gpu-python``, default
   /work/cudavenv/bin/python; `pip install numba-cuda[cu12]` gives one), compile each
   distinct (kernel, signature) to PTX for sm_90 with ``numba.cuda.compile_ptx`` —
   which needs no GPU and no driver.

    python scripts/cuda_compile_check.py [tests/cuda/...] [--gpu-python PATH]
    python scripts/cuda_compile_check.py --from-record launches.json   (after a test run
        with MINITORCH_RECORD_CUDA_LAUNCHES=launches.json, as .ci/run does)

Prints one line per failure and a summary; exits 1 if any kernel fails to compile.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _describe(value):
    """A JSON description of one kernel argument's numba type."""
    import numpy as np
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return ["bool"]
    if isinstance(value, int):
        return ["int64"]
    if isinstance(value, float):
        return ["float64"]
    if isinstance(value, np.generic):
        return ["scalar", value.dtype.str]
    if isinstance(value, tuple):
        return ["tuple", [_describe(v) for v in value]]
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        contiguous = bool(getattr(value, "is_c_contiguous", lambda: True)()) if callable(
            getattr(value, "is_c_contiguous", None)) else True
        if np.dtype(value.dtype).fields:
            return ["record_array", [[n, np.dtype(t).str] for n, t in np.dtype(value.dtype).descr], len(value.shape)]
        return ["array", np.dtype(value.dtype).str, len(value.shape), "C" if contiguous else "A"]
    raise TypeError(f"cannot describe kernel argument of type {type(value).__name__}")


def write_record(records, out_path: str) -> None:
    """The distinct (kernel, argument types) of records [(kernel, args)], as JSON."""
    seen, launches = set(), []
    for kernel, args in records:
        fn = getattr(kernel, "py_func", None) or getattr(kernel, "fn", None) or kernel
        entry = [fn.__module__, fn.__qualname__, [_describe(a) for a in args]]
        key = json.dumps(entry)
        if key not in seen:
            seen.add(key)
            launches.append(entry)
    with open(out_path, "w") as f:
        json.dump(launches, f)
    print(f"recorded {len(records)} launches, {len(launches)} distinct (kernel, signature)")


def record(test_args: list[str], out_path: str) -> int:
    """Step 1 (simulator): run pytest on test_args, write the launches to out_path."""
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    sys.path.insert(0, ROOT)
    import pytest

    from minitorch._backends.cuda import _launch
    _launch.RECORD = []
    code = pytest.main(["-q", "-p", "no:cacheprovider", *test_args])
    write_record(_launch.RECORD, out_path)
    return int(code)


def _numba_type(desc):
    import numpy as np
    from numba import types
    from numba.np.numpy_support import from_dtype
    kind = desc[0]
    if kind == "bool":
        return types.boolean
    if kind == "int64":
        return types.int64
    if kind == "float64":
        return types.float64
    if kind == "scalar":
        return from_dtype(np.dtype(desc[1]))
    if kind == "tuple":
        items = [_numba_type(d) for d in desc[1]]
        if items and all(t == items[0] for t in items):
            return types.UniTuple(items[0], len(items))
        return types.Tuple(items)
    if kind == "record_array":
        dt = np.dtype([(n, t) for n, t in desc[1]], align=True)
        return types.Array(from_dtype(dt), desc[2], "C")
    _, dt, ndim, layout = desc
    return types.Array(from_dtype(np.dtype(dt)), ndim, layout)


def compile_all(in_path: str) -> int:
    """Step 2 (numba-cuda, no simulator): compile every recorded launch to PTX."""
    sys.path.insert(0, ROOT)
    import importlib

    from numba import cuda
    import numba.cuda.dispatcher as dispatcher

    class _Device:  # device functions ask the current device for its compute capability
        compute_capability = (9, 0)
    dispatcher.get_current_device = lambda: _Device()

    with open(in_path) as f:
        launches = json.load(f)
    failures = 0
    compiled = set()
    for module, qualname, arg_descs in launches:
        mod = importlib.import_module(module)
        kernel = getattr(mod, qualname)
        fn = getattr(kernel, "py_func", kernel)
        sig = tuple(_numba_type(d) for d in arg_descs)
        key = (module, qualname, str(sig))
        if key in compiled:
            continue
        compiled.add(key)
        try:
            cuda.compile_ptx(fn, sig, cc=(9, 0))
        except Exception as exc:  # noqa: BLE001 - report every failure, keep going
            failures += 1
            first = str(exc).strip().splitlines()
            print(f"FAIL {module}.{qualname}{sig}:\n    " + "\n    ".join(first[:12]))
    print(f"compiled {len(compiled) - failures} of {len(compiled)} (kernel, signature) pairs for sm_90; "
          f"{failures} failed")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tests", nargs="*", default=[os.path.join(ROOT, "tests", "cuda")])
    parser.add_argument("--gpu-python", default="/work/cudavenv/bin/python")
    parser.add_argument("--from-record", metavar="JSON",
                        help="skip the test run: compile the launches a test session recorded "
                             "(MINITORCH_RECORD_CUDA_LAUNCHES=JSON python -m pytest)")
    parser.add_argument("--_record", help=argparse.SUPPRESS)
    parser.add_argument("--_compile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._record:
        return record(args.tests, args._record)
    if args._compile:
        return compile_all(args._compile)
    if args.from_record:
        env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
        return subprocess.call([args.gpu_python, __file__, "--_compile", args.from_record], env=env)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "launches.json")
        env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
        code = subprocess.call([sys.executable, __file__, "--_record", path, *args.tests], env=env)
        if not os.path.exists(path):
            return code or 1
        env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
        compiled = subprocess.call([args.gpu_python, __file__, "--_compile", path], env=env)
        return compiled or (1 if code else 0)


if __name__ == "__main__":
    sys.exit(main())
