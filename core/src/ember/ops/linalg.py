"""Products: matmul with torch's broadcasting rules, mm/bmm/mv/dot, einsum, tensordot and the add* family."""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, apply
from ..autograd.node import Op
from ._registry import export
from ._util import cast, promote, sum_to, wrap_dim
from .. import _autocast


_PRODUCT_NAMES = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0", (1, 2): "SqueezeBackward4"}


class Matmul(Op):
    save_inputs = True

    def forward(self, be, a, b):
        self.torch_name = _PRODUCT_NAMES.get((a.ndim, b.ndim), "UnsafeViewBackward0")
        out = be.matmul(a, b)
        return out if out.dtype == a.dtype else be.xp.astype(out, a.dtype)  # numpy's bfloat16 matmul gives float32

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        ga = gb = None
        # promote 1-D operands to matrices so the rules stay the same
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        if a.ndim == 1:
            g2 = g2.unsqueeze(-2)
        if na:
            ga = sum_to(g2 @ b2.mT, a2.shape)
            ga = ga.reshape(a.shape)
        if nb:
            gb = sum_to(a2.mT @ g2, b2.shape)
            gb = gb.reshape(b.shape)
        return ga, gb


def _shape_str(s):
    return "x".join(map(str, s))


@export()
def matmul(input, other):
    """Matrix product with torch's broadcasting rules for 1-D and batched operands.

    Example:
        >>> import ember
        >>> (ember.ones(2, 3) @ ember.ones(3)).tolist()
        [3.0, 3.0]
    """
    if _autocast.active:
        input, other = _autocast.low(input, other)
    a, b = promote("matmul", input, other)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    k1 = a.shape[-1]
    k2 = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k1 != k2:
        if a.ndim <= 2 and b.ndim <= 2:
            sa = a.shape if a.ndim == 2 else (1, k1)
            sb = b.shape if b.ndim == 2 else (k2, 1)
            raise RuntimeError(f"matmul: mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})")
        raise RuntimeError(f"matmul: Expected size for first two dimensions of batch2 tensor to be: [{k1}] but got: [{k2}] (shapes {_shape_str(a.shape)} and {_shape_str(b.shape)})")
    return apply(Matmul, (a, b))


@export()
def mm(input, mat2):
    """Product of two matrices (2-D only).

    Example:
        >>> import ember
        >>> ember.mm(ember.eye(2), ember.ones(2, 3)).shape
        ember.Size([2, 3])
    """
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {input.ndim}D and {mat2.ndim}D")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mm: mat1 and mat2 shapes cannot be multiplied ({_shape_str(input.shape)} and {_shape_str(mat2.shape)})")
    return matmul(input, mat2)


@export()
def bmm(input, mat2):
    """Batched product of 3-D tensors ``(b, n, m) @ (b, m, p)``.

    Example:
        >>> import ember
        >>> ember.bmm(ember.ones(4, 2, 3), ember.ones(4, 3, 5)).shape
        ember.Size([4, 2, 5])
    """
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got {input.ndim}D and {mat2.ndim}D")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm: batch1 and batch2 shapes cannot be multiplied ({_shape_str(input.shape)} and {_shape_str(mat2.shape)})")
    return matmul(input, mat2)


@export()
def mv(input, vec):
    """Matrix-vector product.

    Example:
        >>> import ember
        >>> ember.mv(ember.eye(2), ember.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a 2D matrix and a 1D vector, got {input.ndim}D and {vec.ndim}D")
    return matmul(input, vec)


@export()
def dot(input, tensor):
    """Dot product of two 1-D tensors.

    Example:
        >>> import ember
        >>> ember.dot(ember.tensor([1, 2]), ember.tensor([3, 4]))
        tensor(11)
    """
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{tensor.shape[0]}] to have the same number of elements, but got {input.shape[0]} and {tensor.shape[0]} elements respectively")
    return matmul(input, tensor)


# --- einsum ---------------------------------------------------------------------------------------
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Einsum(Op):
    """An explicit einsum (no ellipsis, consistent sizes); each gradient is another einsum."""

    save_inputs = True

    def forward(self, be, *args):
        *arrays, terms, out = args
        self.terms, self.out = terms, out
        return be.einsum(",".join(terms) + "->" + out, *arrays)

    def backward(self, g):
        from .._creation import eye, ones

        ops = self.saved()
        terms, out = self.terms, self.out
        sizes = {c: s for t, x in zip(terms, ops) for c, s in zip(t, x.shape)}
        spare = iter(c for c in _LETTERS if c not in sizes)
        grads = []
        for k, nk in enumerate(self.next):
            if nk is None:
                grads.append(None)
                continue
            others = [(t, x) for j, (t, x) in enumerate(zip(terms, ops)) if j != k]
            present = set(out).union(*(t for t, _ in others))
            target, extra = "", []
            for c in terms[k]:
                if c in target:  # a repeated letter: the gradient sits on the diagonal
                    d = next(spare)
                    extra.append((c + d, eye(sizes[c], dtype=g.dtype, device=g.device)))
                    c = d
                elif c not in present:  # summed away by this operand alone: broadcast back
                    extra.append((c, ones(sizes[c], dtype=g.dtype, device=g.device)))
                target += c
            subs = [out] + [t for t, _ in others] + [t for t, _ in extra]
            grads.append(_einsum(subs, target, [g] + [x for _, x in others] + [x for _, x in extra]))
        return tuple(grads)


def _einsum(terms, out, operands):
    """Einsum over explicit terms: size-1 broadcast axes are squeezed first so sizes agree."""
    sizes = {}
    for t, x in zip(terms, operands):
        for c, s in zip(t, x.shape):
            if s != 1 or c not in sizes:
                if sizes.get(c, 1) not in (1, s):
                    raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original->remapped): subscript '{c}' has size {sizes[c]} and {s}")
                sizes[c] = s
    terms, operands = list(terms), list(operands)
    for i, (t, x) in enumerate(zip(terms, operands)):
        keep = [j for j, c in enumerate(t) if x.shape[j] == sizes[c]]
        if len(keep) < len(t):
            terms[i] = "".join(t[j] for j in keep)
            operands[i] = x.reshape([x.shape[j] for j in keep])
    return apply(Einsum, tuple(operands), tuple(terms), out)


def _sublist_equation(args):
    """Translate ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` into an equation and operands."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)

    operands, terms = list(args[0::2]), [letters(s) for s in args[1::2]]
    out = None
    if len(args) % 2:
        out, operands = letters(args[-1]), operands[:-1]
    return ",".join(terms) + ("" if out is None else "->" + out), operands


@export(method=False)
def einsum(equation, *operands):
    """Sum of products over the index equation (torch's einsum, ellipsis and broadcasting included).

    Example:
        >>> import ember
        >>> a, b = ember.ones(2, 3), ember.ones(3, 4)
        >>> ember.einsum("ij,jk->ik", a, b).shape, ember.einsum("ii", ember.eye(3)).item()
        (ember.Size([2, 4]), 3.0)
    """
    if not isinstance(equation, str):
        equation, operands = _sublist_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation" if len(operands) > len(terms) else "einsum(): fewer operands were provided than specified in the equation")
    used = {c for c in eq if c.isalpha()}
    spare = [c for c in _LETTERS if c not in used]
    nell = 0
    for t, x in zip(terms, operands):
        n_explicit = len(t) - (3 if "..." in t else 0)
        if ("..." not in t and n_explicit != x.ndim) or n_explicit > x.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_explicit}) does not match the number of dimensions ({x.ndim}) for operand {terms.index(t)}" + ("" if "..." in t else " and no ellipsis was given"))
        if "..." in t and x.ndim - n_explicit > nell:
            nell = x.ndim - n_explicit
    ell = "".join(spare[:nell])
    terms = [t.replace("...", ell[nell - (x.ndim - len(t) + 3):]) if "..." in t else t for t, x in zip(terms, operands)]
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for c in "".join(terms):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    a0 = operands[0]
    ops = [o if isinstance(o, Tensor) else a0.new_tensor(o) for o in operands]
    dt = ops[0].dtype
    for o in ops[1:]:
        dt = _dtype.promote_types(dt, o.dtype)
    ops = [cast(o, dt) for o in ops]
    return _einsum(terms, out, ops)


# --- products built on matmul ------------------------------------------------------------------
@export()
def tensordot(a, b, dims=2):
    """Contract ``a``'s last (or listed) dims with ``b``'s first (or listed) dims.

    Example:
        >>> import ember
        >>> ember.tensordot(ember.ones(2, 3, 4), ember.ones(3, 4, 5)).shape
        ember.Size([2, 5])
    """
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da, db = ([da], [db]) if isinstance(da, int) else (list(da), list(db))
    da = [wrap_dim(d, a.ndim, "tensordot") for d in da]
    db = [wrap_dim(d, b.ndim, "tensordot") for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[i]} in dim {i} and second has size {b.shape[j]} in dim {j}")
    fa = [i for i in range(a.ndim) if i not in da]
    fb = [i for i in range(b.ndim) if i not in db]
    k = _numel([a.shape[i] for i in da])
    a2 = a.permute(fa + da).reshape(_numel([a.shape[i] for i in fa]), k)
    b2 = b.permute(db + fb).reshape(k, _numel([b.shape[i] for i in fb]))
    return matmul(a2, b2).reshape([a.shape[i] for i in fa] + [b.shape[i] for i in fb])


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


@export()
def outer(input, vec2):
    """Outer product of two vectors.

    Example:
        >>> import ember
        >>> ember.outer(ember.tensor([1, 2]), ember.tensor([1, 10])).tolist()
        [[1, 10], [2, 20]]
    """
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, got {input.ndim}D and {vec2.ndim}D")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


export("ger")(outer)


def _scaled_sum(input, product, beta, alpha):
    """``beta * input + alpha * product``; ``input`` is ignored (NaN included) when beta is 0."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return (input if beta == 1 else input * beta) + product


def _addfn(name, product, doc):
    def fn(input, a, b, *, beta=1, alpha=1):
        if _autocast.active:
            input, a, b = _autocast.low(input, a, b)
        return _scaled_sum(input, product(a, b), beta, alpha)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def _bind_addfns():
    specs = [
        ("addmm", mm, "matrices", "ember.ones(2, 2), ember.ones(2, 3), ember.ones(3, 2)", "[[4.0, 4.0], [4.0, 4.0]]"),
        ("addmv", mv, "a matrix and a vector", "ember.ones(2), ember.ones(2, 3), ember.ones(3)", "[4.0, 4.0]"),
        ("addr", outer, "two vectors (outer product)", "ember.ones(2, 2), ember.ones(2), ember.ones(2)", "[[2.0, 2.0], [2.0, 2.0]]"),
        ("baddbmm", bmm, "batches of matrices", "ember.ones(1, 1, 1), ember.ones(1, 1, 3), ember.ones(1, 3, 1)", "[[[4.0]]]"),
        ("addbmm", lambda a, b: bmm(a, b).sum(0), "batches of matrices, summed over the batch", "ember.ones(1, 1), ember.ones(2, 1, 3), ember.ones(2, 3, 1)", "[[7.0]]"),
    ]
    for name, product, what, args, result in specs:
        doc = f"""``beta * input + alpha * (product of {what})``.

    Example:
        >>> import ember
        >>> ember.{name}({args}).tolist()
        {result}
    """
        f = _addfn(name, product, doc)
        export(name, inplace=name + "_")(f)
        globals()[name] = f


_bind_addfns()


@export()
def vdot(input, other):
    """Dot product of two 1-D tensors, conjugating the first.

    Example:
        >>> import ember
        >>> ember.vdot(ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
        tensor(11.)
    """
    return dot(input.conj() if input.is_complex() else input, other)


@export()
def inner(input, other):
    """Sum of products over the last dimension (a product when either is 0-d).

    Example:
        >>> import ember
        >>> ember.inner(ember.ones(2, 3), ember.ones(4, 3)).shape
        ember.Size([2, 4])
    """
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


@export()
def kron(input, other):
    """Kronecker product.

    Example:
        >>> import ember
        >>> ember.kron(ember.eye(2), ember.tensor([[1.0, 2.0]])).tolist()
        [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]]
    """
    nd = input.ndim if input.ndim > other.ndim else other.ndim
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = input.reshape([x for s in sa for x in (s, 1)])
    b = other.reshape([x for s in sb for x in (1, s)])
    return (a * b).reshape([x * y for x, y in zip(sa, sb)])


@export()
def trace(input):
    """Sum of the main diagonal of a matrix (integers sum as int64).

    Example:
        >>> import ember
        >>> ember.trace(ember.arange(9).reshape(3, 3))
        tensor(12)
    """
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    n, m = input.shape
    return input.reshape(-1)[:: m + 1][: n if n < m else m].sum()


@export()
def matrix_power(input, n):
    """``input`` multiplied by itself ``n`` times (the inverse's power when ``n < 0``).

    Example:
        >>> import ember
        >>> ember.matrix_power(ember.tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
        [[1.0, 3.0], [0.0, 1.0]]
    """
    from .. import linalg

    return linalg.matrix_power(input, n)


@export(method=False)
def chain_matmul(*matrices):
    """Product of 2-D matrices in the cheapest order (see :func:`ember.linalg.multi_dot`).

    Example:
        >>> import ember
        >>> ember.chain_matmul(ember.ones(2, 3), ember.ones(3, 4), ember.ones(4, 1)).tolist()
        [[12.0], [12.0]]
    """
    from .. import linalg

    if len(matrices) == 1:
        return matrices[0]
    return linalg.multi_dot(matrices)


def cross3(input, other, dim):
    """``input x other`` along ``dim`` (size 3), after broadcasting."""
    i1 = (slice(None),) * dim + (input.new_tensor([1, 2, 0], dtype=_dtype.int64),)
    i2 = (slice(None),) * dim + (input.new_tensor([2, 0, 1], dtype=_dtype.int64),)
    return input[i1] * other[i2] - input[i2] * other[i1]


@export()
def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (the first size-3 dim if None, with a warning).

    Example:
        >>> import ember
        >>> ember.cross(ember.tensor([1.0, 0.0, 0.0]), ember.tensor([0.0, 1.0, 0.0]), dim=0)
        tensor([0., 0., 1.])
    """
    from .. import linalg

    if dim is None:
        import warnings

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = input.shape if input.ndim >= other.ndim else other.shape
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return linalg.cross(input, other, dim=dim)


@export()
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector or matrix norm (the legacy ``torch.norm``; prefer :mod:`ember.linalg`).

    Example:
        >>> import ember
        >>> ember.norm(ember.tensor([[3.0, 4.0]])), ember.norm(ember.tensor([[3.0, 4.0]]), p=1, dim=1)
        (tensor(5.), tensor([7.]))
    """
    from .. import linalg

    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc":
        return linalg.matrix_norm(input, "nuc", dim=(-2, -1) if dim is None else dim, keepdim=keepdim, dtype=dtype)
    return linalg.vector_norm(input, 2 if p == "fro" else p, dim=dim, keepdim=keepdim, dtype=dtype)
