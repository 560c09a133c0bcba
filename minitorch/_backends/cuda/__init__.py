"""The CUDA backend (numba.cuda). Importing this package imports nothing heavy:
``_runtime`` finds out whether a GPU can be used, ``_table`` holds the op table and
imports numba.cuda and the kernels."""
