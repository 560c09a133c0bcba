"""Elementwise CUDA kernels: one kernel per family of ops, the op chosen by a code.

Every kernel is a grid-stride loop over the n elements of the (collapsed) output
shape. Operands are read through (buffer, offset, strides), so broadcast (stride 0)
and transposed operands cost no copy; the ``*_flat`` variants serve the common case
where every operand is contiguous and skip the index arithmetic. The op is a runtime
code: the branch is uniform across a launch, so it costs nothing measurable on the
GPU, and one compiled kernel per dtype serves every op of its family.
"""
from numba import cuda

from . import _math as m

# ----- op codes ----------------------------------------------------------------------
(ADD, SUB, MUL, DIV, FLOORDIV, REMAINDER, POW, IPOW, MAXIMUM, MINIMUM,
 RELU_BWD, TANH_BWD, SIGMOID_BWD) = range(13)
ARITH = {"add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "floordiv": FLOORDIV,
         "remainder": REMAINDER, "pow": POW, "maximum": MAXIMUM, "minimum": MINIMUM}

BAND, BOR, BXOR = range(3)
BITWISE = {"bitwise_and": BAND, "bitwise_or": BOR, "bitwise_xor": BXOR,
           "logical_and": BAND, "logical_or": BOR, "logical_xor": BXOR}

EQ, NE, LT, LE, GT, GE = range(6)
COMPARE = {"eq": EQ, "ne": NE, "lt": LT, "le": LE, "gt": GT, "ge": GE}

(NEG, ABS, EXP, LOG, SQRT, RSQRT, SIN, COS, TAN, TANH, SIGMOID, RELU, SIGN, LOG1P, EXPM1,
 RECIPROCAL, FLOOR, CEIL, ROUND, TRUNC, SQUARE, LOG2, LOG10, EXP2, ASIN, ACOS, ATAN, SINH,
 COSH, ERF, IDENTITY) = range(31)
UNARY = {"neg": NEG, "abs": ABS, "exp": EXP, "log": LOG, "sqrt": SQRT, "rsqrt": RSQRT, "sin": SIN,
         "cos": COS, "tan": TAN, "tanh": TANH, "sigmoid": SIGMOID, "relu": RELU, "sign": SIGN,
         "log1p": LOG1P, "expm1": EXPM1, "reciprocal": RECIPROCAL, "floor": FLOOR, "ceil": CEIL,
         "round": ROUND, "trunc": TRUNC, "square": SQUARE, "log2": LOG2, "log10": LOG10,
         "exp2": EXP2, "asin": ASIN, "acos": ACOS, "atan": ATAN, "sinh": SINH, "cosh": COSH,
         "erf": ERF}
INT_UNARY = {"neg": NEG, "abs": ABS, "sign": SIGN, "square": SQUARE, "relu": RELU,
             "floor": IDENTITY, "ceil": IDENTITY, "round": IDENTITY, "trunc": IDENTITY}

ISNAN, ISINF, ISFINITE, LNOT, BNOT = range(5)
PREDICATE = {"isnan": ISNAN, "isinf": ISINF, "isfinite": ISFINITE, "logical_not": LNOT}


# ----- index arithmetic --------------------------------------------------------------
@cuda.jit(device=True)
def offset_of(i, shape, strides, base):
    """The buffer index of the i-th element (row-major order) of a strided view."""
    off = base
    for d in range(len(shape) - 1, -1, -1):
        n = shape[d]
        off += (i % n) * strides[d]
        i //= n
    return off


@cuda.jit(device=True)
def index_at(i, flat, shape, strides, base):
    """The buffer index of element i: base + i for a contiguous operand (flat), otherwise
    offset_of's strided walk."""
    if flat:
        return base + i
    return offset_of(i, shape, strides, base)


# ----- scalar ops --------------------------------------------------------------------
@cuda.jit(device=True)
def _ipow(x, y):
    """Integer power with PyTorch's rule for negative exponents (1, +-1 or 0)."""
    one = x - x + 1
    if y < 0:
        if x == 1:
            return one
        if x == -1:
            return one if y % 2 == 0 else -one
        return one - one
    r = one
    base = x
    e = y
    while e > 0:
        if e % 2 == 1:
            r = r * base
        base = base * base
        e = e // 2
    return r


@cuda.jit(device=True)
def arith(op, x, y):
    if op == ADD:
        return x + y
    if op == SUB:
        return x - y
    if op == MUL:
        return x * y
    if op == DIV:
        return x / y
    if op == FLOORDIV:
        return x // y
    if op == REMAINDER:
        return x % y
    if op == POW:
        return m.pow_(x, y)
    if op == IPOW:
        return _ipow(x, y)
    if op == MAXIMUM:      # NaN wins; on ties the first argument, as PyTorch
        if x != x:
            return x
        if y != y:
            return y
        return x if x >= y else y
    if op == MINIMUM:
        if x != x:
            return x
        if y != y:
            return y
        return x if x <= y else y
    if op == RELU_BWD:     # x is the gradient, y relu's output (or input)
        return x if y > 0 else 0.0
    if op == TANH_BWD:     # y is tanh's output
        return x * (1 - y * y)
    # SIGMOID_BWD: y is sigmoid's output
    return x * (1 - y) * y


@cuda.jit(device=True)
def bitwise(op, x, y):
    if op == BAND:
        return x & y
    if op == BOR:
        return x | y
    return x ^ y


@cuda.jit(device=True)
def compare(op, x, y):
    if op == EQ:
        return x == y
    if op == NE:
        return x != y
    if op == LT:
        return x < y
    if op == LE:
        return x <= y
    if op == GT:
        return x > y
    return x >= y


@cuda.jit(device=True)
def unary_float(op, x):
    if op == NEG:
        return -x
    if op == ABS:
        return m.fabs(x)
    if op == EXP:
        return m.exp(x)
    if op == LOG:
        return m.log(x)
    if op == SQRT:
        return m.sqrt(x)
    if op == RSQRT:
        return 1 / m.sqrt(x)
    if op == SIN:
        return m.sin(x)
    if op == COS:
        return m.cos(x)
    if op == TAN:
        return m.tan(x)
    if op == TANH:
        return m.tanh(x)
    if op == SIGMOID:
        return 1 / (1 + m.exp(-x))
    if op == RELU:         # relu(nan) is nan
        return x if x > 0 or x != x else 0.0
    if op == SIGN:         # sign(nan) is 0, as PyTorch
        if x > 0:
            return 1.0
        if x < 0:
            return -1.0
        return 0.0
    if op == LOG1P:
        return m.log1p(x)
    if op == EXPM1:
        return m.expm1(x)
    if op == RECIPROCAL:
        return 1 / x
    if op == FLOOR:
        return m.floor(x)
    if op == CEIL:
        return m.ceil(x)
    if op == ROUND:
        return m.rint(x)
    if op == TRUNC:
        return m.trunc(x)
    if op == SQUARE:
        return x * x
    if op == LOG2:
        return m.log2(x)
    if op == LOG10:
        return m.log10(x)
    if op == EXP2:
        return m.exp2(x)
    if op == ASIN:
        return m.asin(x)
    if op == ACOS:
        return m.acos(x)
    if op == ATAN:
        return m.atan(x)
    if op == SINH:
        return m.sinh(x)
    if op == COSH:
        return m.cosh(x)
    if op == ERF:
        return m.erf(x)
    return x


@cuda.jit(device=True)
def unary_int(op, x):
    if op == NEG:
        return -x
    if op == ABS:
        return -x if x < 0 else x
    if op == SIGN:
        if x > 0:
            return 1
        if x < 0:
            return -1
        return 0
    if op == SQUARE:
        return x * x
    if op == RELU:
        return x if x > 0 else x - x
    return x


@cuda.jit(device=True)
def predicate(op, x):
    if op == ISNAN:
        return x != x
    if op == ISINF:
        return x == x and (x - x) != (x - x)
    if op == ISFINITE:
        return (x - x) == (x - x)
    # LNOT
    return x == 0


# ----- kernels -----------------------------------------------------------------------
@cuda.jit(cache=True)
def k_arith(op, out, oo, ost, a, ao, ast, b, bo, bst, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[offset_of(i, shape, ost, oo)] = arith(op, a[offset_of(i, shape, ast, ao)],
                                                  b[offset_of(i, shape, bst, bo)])
        i += step


@cuda.jit(cache=True)
def k_arith_flat(op, out, oo, a, ao, b, bo, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[oo + i] = arith(op, a[ao + i], b[bo + i])
        i += step


@cuda.jit(cache=True)
def k_arith_scalar(op, out, oo, ost, a, ao, ast, s, swap, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        x = a[offset_of(i, shape, ast, ao)]
        out[offset_of(i, shape, ost, oo)] = arith(op, s, x) if swap else arith(op, x, s)
        i += step


@cuda.jit(cache=True)
def k_arith_scalar_flat(op, out, oo, a, ao, s, swap, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        x = a[ao + i]
        out[oo + i] = arith(op, s, x) if swap else arith(op, x, s)
        i += step


@cuda.jit(cache=True)
def k_bitwise(op, out, oo, ost, a, ao, ast, b, bo, bst, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[offset_of(i, shape, ost, oo)] = bitwise(op, a[offset_of(i, shape, ast, ao)],
                                                    b[offset_of(i, shape, bst, bo)])
        i += step


@cuda.jit(cache=True)
def k_compare(op, out, a, ao, ast, b, bo, bst, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[i] = compare(op, a[offset_of(i, shape, ast, ao)], b[offset_of(i, shape, bst, bo)])
        i += step


@cuda.jit(cache=True)
def k_compare_scalar(op, out, a, ao, ast, s, swap, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        x = a[offset_of(i, shape, ast, ao)]
        out[i] = compare(op, s, x) if swap else compare(op, x, s)
        i += step


@cuda.jit(cache=True)
def k_unary_float(op, out, a, ao, ast, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[i] = unary_float(op, a[offset_of(i, shape, ast, ao)])
        i += step


@cuda.jit(cache=True)
def k_unary_float_flat(op, out, a, ao, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[i] = unary_float(op, a[ao + i])
        i += step


@cuda.jit(cache=True)
def k_unary_int(op, out, a, ao, ast, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[i] = unary_int(op, a[offset_of(i, shape, ast, ao)])
        i += step


@cuda.jit(cache=True)
def k_predicate(op, out, a, ao, ast, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[i] = predicate(op, a[offset_of(i, shape, ast, ao)])
        i += step


@cuda.jit(cache=True)
def k_assign(dst, do, dst_str, src, so, sst, shape, n):
    """dst (strided) = src (strided, broadcast), cast to dst's dtype on store."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        dst[offset_of(i, shape, dst_str, do)] = src[offset_of(i, shape, sst, so)]
        i += step


@cuda.jit(cache=True)
def k_assign_flat(dst, do, src, so, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        dst[do + i] = src[so + i]
        i += step


@cuda.jit(cache=True)
def k_fill(dst, do, dst_str, value, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        dst[offset_of(i, shape, dst_str, do)] = value
        i += step


@cuda.jit(cache=True)
def k_where(out, c, co, cst, a, ao, ast, b, bo, bst, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        if c[offset_of(i, shape, cst, co)]:
            out[i] = a[offset_of(i, shape, ast, ao)]
        else:
            out[i] = b[offset_of(i, shape, bst, bo)]
        i += step


@cuda.jit(cache=True)
def k_clamp(out, a, ao, ast, lo, hi, has_lo, has_hi, shape, n):
    """min(max(a, lo), hi) with NaN passing through, as torch.clamp."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        x = a[offset_of(i, shape, ast, ao)]
        if x == x:
            if has_lo and x < lo:
                x = lo
            if has_hi and x > hi:
                x = hi
        out[i] = x
        i += step


@cuda.jit(cache=True)
def k_arange(out, start, step_, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[i] = start + i * step_
        i += step


@cuda.jit(cache=True)
def k_eye(out, n, m):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n * m:
        out[i] = 1 if i // m == i % m else 0
        i += step
