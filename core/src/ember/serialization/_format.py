"""The ``ember.save`` archive: a JSON manifest describing the object tree, plus raw tensor bytes.

Writing: :class:`Encoder` turns an object tree into JSON nodes and a list of
storages (byte spans of host memory). Reading: :class:`Decoder` validates the
manifest against the archive and rebuilds the tree. The layout is documented in
``docs/serialization.md``.
"""

from __future__ import annotations

import base64
import collections
import math
import re
import sys

import numpy as _np  # host-side: tensors travel through host byte buffers

from .. import _dtype
from .._device import device as _device_cls
from .._tensor import Size, Tensor, _make, resolve_device
from ._files import SerializationError

FORMAT, VERSION = "ember.save", 1
MANIFEST = "manifest.json"
STORAGE_NAME = re.compile(r"data/(0|[1-9][0-9]{0,8})")
MAX_DEPTH = 100
MAX_NDIM = 64
_LITTLE = sys.byteorder == "little"

# the only element types a file may name: ember dtypes (tensors), plus numpy's unsigned ints (arrays)
TENSOR_DTYPES = {d.name: d for d in _dtype.ALL}
ARRAY_DTYPES = ("bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
                "float16", "float32", "float64", "complex64", "complex128")


def host_dtype(name):
    """The little-endian numpy dtype of element type ``name`` (bfloat16 through ``ml_dtypes``)."""
    if name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            raise SerializationError("bfloat16 tensors need the 'ml_dtypes' package on this host") from None
        return _np.dtype(ml_dtypes.bfloat16)
    return _np.dtype(name).newbyteorder("<")


def _extent(shape, strides, itemsize):
    """``(low, high)`` byte offsets touched by a strided array starting at 0, or None when it is empty."""
    if 0 in shape:
        return None
    lo = sum((s - 1) * st for s, st in zip(shape, strides) if st < 0)
    hi = sum((s - 1) * st for s, st in zip(shape, strides) if st > 0)
    return lo, hi + itemsize


def _non_overlapping(shape, strides, itemsize):
    """Whether distinct elements live at distinct bytes (so numel * itemsize <= extent)."""
    if 0 in shape:
        return True
    dims = sorted((abs(st), s) for s, st in zip(shape, strides) if s != 1)
    need = itemsize
    for st, s in dims:
        if st < need:
            return False
        need = st * s
    return True


def _owner(a):
    while isinstance(a.base, _np.ndarray):
        a = a.base
    return a


class Encoder:
    """Build the manifest of an object tree; ``storages`` collects the byte buffers to write."""

    def __init__(self):
        self.storages = []  # uint8 numpy arrays (contiguous), in entry order
        self.tensors = []  # tensor specs (manifest["tensors"])
        self._tensor_ids = {}  # id(tensor) -> index in self.tensors
        self._groups = {}  # id(owner array) -> [(tensor spec, host array)] sharing memory
        self._keep = []  # objects whose id() is in use

    def manifest(self, obj):
        root = self.node(obj, "obj", 0)
        for members in self._groups.values():
            self._write_group(members)
        return {"format": FORMAT, "version": VERSION, "byteorder": "little", "root": root,
                "tensors": self.tensors, "storages": [{"name": f"data/{i}", "nbytes": int(s.nbytes)}
                                                      for i, s in enumerate(self.storages)]}

    def _add_storage(self, flat):
        self.storages.append(flat)
        return len(self.storages) - 1

    def node(self, obj, path, depth):
        if depth > MAX_DEPTH:
            raise SerializationError(
                f"cannot save {path}: nesting deeper than {MAX_DEPTH} levels (or a reference cycle)")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, Tensor):
            return {"type": "tensor", "index": self._tensor(obj)}
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"type": "float", "value": repr(float(obj))}
        if isinstance(obj, _np.ndarray):
            return self._array(obj, path)
        if isinstance(obj, _np.bool_):
            return bool(obj)
        if isinstance(obj, _np.integer):
            return int(obj)
        if isinstance(obj, _np.floating):
            return self.node(float(obj), path, depth)
        if isinstance(obj, complex):
            return {"type": "complex", "real": self.node(obj.real, path, depth),
                    "imag": self.node(obj.imag, path, depth)}
        if isinstance(obj, (bytes, bytearray)):
            return {"type": "bytes", "base64": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, _dtype.dtype):
            return {"type": "dtype", "name": obj.name}
        if isinstance(obj, _device_cls):
            return {"type": "device", "value": str(obj)}
        if isinstance(obj, Size):
            return {"type": "size", "items": [int(s) for s in obj]}
        if isinstance(obj, dict):
            kind = "ordered_dict" if isinstance(obj, collections.OrderedDict) else "dict"
            items = [[self._key(k, path), self.node(v, f"{path}[{k!r}]", depth + 1)] for k, v in obj.items()]
            out = {"type": kind, "items": items}
            meta = getattr(obj, "_metadata", None)  # module state dicts carry per-prefix versions here
            if kind == "ordered_dict" and meta is not None:
                out["metadata"] = self.node(meta, f"{path}._metadata", depth + 1)
            return out
        if isinstance(obj, list):
            return [self.node(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(obj)]
        if isinstance(obj, (tuple, set, frozenset)):
            kind = "tuple" if isinstance(obj, tuple) else "frozenset" if isinstance(obj, frozenset) else "set"
            return {"type": kind, "items": [self.node(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(obj)]}
        raise SerializationError(
            f"cannot save {path}: objects of type {type(obj).__module__}.{type(obj).__qualname__} are not supported "
            "(ember.save stores tensors, numpy arrays, numbers, strings, bytes, None, dtypes, devices and "
            "dicts/lists/tuples/sets of these; save obj.state_dict() for modules and optimizers)")

    def _key(self, k, path):
        if k is None or isinstance(k, (bool, str, int, float)) or (isinstance(k, tuple) and
                                                                  all(not isinstance(e, (dict, list)) for e in k)):
            return self.node(k, path, 0)
        raise SerializationError(f"cannot save {path}: dict key {k!r} of type {type(k).__name__} is not supported")

    def _array(self, a, path):
        if a.dtype.name not in ARRAY_DTYPES or a.dtype.kind not in "biufc":
            raise SerializationError(f"cannot save {path}: numpy arrays of dtype {a.dtype} are not supported")
        flat = _np.asarray(a, dtype=a.dtype.newbyteorder("<"), order="C").reshape(-1).view(_np.uint8)
        return {"type": "ndarray", "storage": self._add_storage(flat), "dtype": a.dtype.name,
                "shape": [int(s) for s in a.shape]}

    def _tensor(self, t):
        index = self._tensor_ids.get(id(t))
        if index is not None:
            return index
        from ..nn import parameter as _parameter

        param_cls = getattr(_parameter, "Parameter", None)
        host = t.detach()._host()
        spec = {"storage": None, "dtype": t.dtype.name, "shape": [int(s) for s in host.shape], "strides": None,
                "offset": 0, "device": str(t.device), "requires_grad": bool(t.requires_grad),
                "parameter": param_cls is not None and isinstance(t, param_cls)}
        index = self._tensor_ids[id(t)] = len(self.tensors)
        self.tensors.append(spec)
        self._keep.append(t)
        owner = _owner(host)
        shareable = (_LITTLE and (owner.flags.c_contiguous or owner.flags.f_contiguous)
                     and _non_overlapping(host.shape, host.strides, host.itemsize))
        key = id(owner) if shareable else ("alone", index)
        self._keep.append(owner)
        self._groups.setdefault(key, []).append((spec, host, owner if shareable else None))
        return index

    def _write_group(self, members):
        owner = members[0][2]
        if owner is None:  # stored alone, as a contiguous little-endian copy
            spec, host, _ = members[0]
            a = _np.asarray(host, order="C")
            if not _LITTLE:
                a = a.astype(a.dtype.newbyteorder("<"))
            spec["storage"] = self._add_storage(a.reshape(-1).view(_np.uint8))
            spec["strides"] = [int(s) for s in a.strides]
            return
        base = owner.__array_interface__["data"][0]
        spans = []
        for spec, host, _ in members:
            offset = host.__array_interface__["data"][0] - base
            ext = _extent(host.shape, host.strides, host.itemsize)
            spec["offset"], spec["strides"] = offset, [int(s) for s in host.strides]
            if ext is not None:
                spans.append((offset + ext[0], offset + ext[1]))
        lo = min((s[0] for s in spans), default=0)
        hi = max((s[1] for s in spans), default=0)
        raw = owner.reshape(-1, order="A").view(_np.uint8)
        index = self._add_storage(raw[lo:hi])
        for spec, _, _ in members:
            spec["storage"] = index
            spec["offset"] = spec["offset"] - lo if spans else 0


def _fail(where, problem):
    raise SerializationError(f"{where}: {problem}")


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Decoder:
    """Validate a manifest against the archive's entries and rebuild the object tree.

    ``read_storage(i)`` returns storage ``i`` as a uint8 numpy array (read once, on demand).
    """

    def __init__(self, where, manifest, entry_sizes, read_storage, place):
        self.where = where
        self.place = place  # (cpu tensor, saved device string) -> tensor on the target device
        self._read = read_storage
        self._buffers = {}
        self._versions = {}
        m = manifest
        if not isinstance(m, dict) or set(m) != {"format", "version", "byteorder", "root", "tensors", "storages"}:
            _fail(where, "manifest is not an ember.save manifest (wrong fields)")
        if m["format"] != FORMAT or m["version"] != VERSION or m["byteorder"] != "little":
            _fail(where, f"unsupported format {m['format']!r} version {m['version']!r} byteorder {m['byteorder']!r}")
        storages = m["storages"]
        if not isinstance(storages, list) or len(storages) != len(entry_sizes):
            _fail(where, "manifest storages do not match the archive's data entries")
        self.sizes = []
        for i, s in enumerate(storages):
            if not isinstance(s, dict) or set(s) != {"name", "nbytes"} or s["name"] != f"data/{i}":
                _fail(where, f"storage {i} is malformed")
            if not _is_int(s["nbytes"]) or s["nbytes"] != entry_sizes.get(s["name"]):
                _fail(where, f"storage {i} declares {s['nbytes']!r} bytes but its entry holds "
                             f"{entry_sizes.get(s['name'])} bytes")
            self.sizes.append(s["nbytes"])
        if not isinstance(m["tensors"], list):
            _fail(where, "manifest tensors must be a list")
        self.specs = [self._check_tensor(i, s) for i, s in enumerate(m["tensors"])]
        self.tensors = [None] * len(self.specs)
        self.root = m["root"]

    def _check_storage_index(self, i, what):
        if not _is_int(i) or not 0 <= i < len(self.sizes):
            _fail(self.where, f"{what} names storage {i!r}, which does not exist")
        return i

    def _check_shape(self, shape, what):
        if not isinstance(shape, list) or len(shape) > MAX_NDIM or not all(_is_int(s) and s >= 0 for s in shape):
            _fail(self.where, f"{what} has an invalid shape {shape!r}")
        return tuple(shape)

    def _check_tensor(self, i, spec):
        what = f"tensor {i}"
        keys = {"storage", "dtype", "shape", "strides", "offset", "device", "requires_grad", "parameter"}
        if not isinstance(spec, dict) or set(spec) != keys:
            _fail(self.where, f"{what} is malformed")
        if spec["dtype"] not in TENSOR_DTYPES:
            _fail(self.where, f"{what} has unknown dtype {spec['dtype']!r}")
        shape = self._check_shape(spec["shape"], what)
        strides, offset = spec["strides"], spec["offset"]
        if (not isinstance(strides, list) or len(strides) != len(shape) or not all(_is_int(s) for s in strides)
                or not _is_int(offset) or offset < 0):
            _fail(self.where, f"{what} has invalid strides {strides!r} or offset {offset!r}")
        itemsize = TENSOR_DTYPES[spec["dtype"]].itemsize
        if not _non_overlapping(shape, strides, itemsize):
            _fail(self.where, f"{what} has overlapping strides {strides} for shape {list(shape)}")
        nbytes = self.sizes[self._check_storage_index(spec["storage"], what)]
        ext = _extent(shape, strides, itemsize)
        if ext is not None and (offset + ext[0] < 0 or offset + ext[1] > nbytes):
            _fail(self.where, f"{what} (shape {list(shape)}, {spec['dtype']}) reaches bytes "
                              f"[{offset + ext[0]}, {offset + ext[1]}) outside its {nbytes}-byte storage")
        if not isinstance(spec["device"], str) or not isinstance(spec["requires_grad"], bool) or not isinstance(
                spec["parameter"], bool):
            _fail(self.where, f"{what} has an invalid device or flags")
        return spec

    def _buffer(self, i):
        buf = self._buffers.get(i)
        if buf is None:
            buf = self._buffers[i] = self._read(i)
        return buf

    def decode(self):
        return self._node(self.root, 0)

    def _node(self, n, depth):
        if depth > MAX_DEPTH:
            _fail(self.where, f"nesting deeper than {MAX_DEPTH} levels")
        if n is None or isinstance(n, (bool, str)):
            return n
        if _is_int(n):
            return n
        if isinstance(n, float):
            return n
        if isinstance(n, list):
            return [self._node(v, depth + 1) for v in n]
        if not isinstance(n, dict) or not isinstance(n.get("type"), str):
            _fail(self.where, f"invalid manifest node of type {type(n).__name__}")
        build = self._BUILDERS.get(n["type"])
        if build is None:
            _fail(self.where, f"unknown node type {n['type']!r}")
        return build(self, n, depth)

    def _fields(self, n, *names):
        if set(n) != {"type", *names}:
            _fail(self.where, f"{n['type']} node has fields {sorted(n)}, expected {sorted({'type', *names})}")
        return [n[k] for k in names]

    def _items(self, n, depth):
        (items,) = self._fields(n, "items")
        if not isinstance(items, list):
            _fail(self.where, f"{n['type']} items must be a list")
        return [self._node(v, depth + 1) for v in items]

    def _mapping(self, n, depth):
        fields = ("items", "metadata") if "metadata" in n and n["type"] == "ordered_dict" else ("items",)
        values = self._fields(n, *fields)
        items = values[0]
        out = collections.OrderedDict() if n["type"] == "ordered_dict" else {}
        if not isinstance(items, list):
            _fail(self.where, "dict items must be a list")
        for pair in items:
            if not isinstance(pair, list) or len(pair) != 2:
                _fail(self.where, "dict items must be [key, value] pairs")
            key = self._node(pair[0], depth + 1)
            try:
                out[key] = self._node(pair[1], depth + 1)
            except TypeError:
                _fail(self.where, f"unhashable dict key of type {type(key).__name__}")
        if len(fields) == 2:
            out._metadata = self._node(values[1], depth + 1)
        return out

    def _float(self, n, depth):
        (value,) = self._fields(n, "value")
        if value not in ("nan", "inf", "-inf"):
            _fail(self.where, f"invalid float value {value!r}")
        return float(value)

    def _complex(self, n, depth):
        re_, im = (self._node(v, depth + 1) for v in self._fields(n, "real", "imag"))
        if not all(isinstance(v, float) for v in (re_, im)):
            _fail(self.where, "complex parts must be floats")
        return complex(re_, im)

    def _bytes(self, n, depth):
        (text,) = self._fields(n, "base64")
        try:
            return base64.b64decode(text, validate=True)
        except (TypeError, ValueError):
            _fail(self.where, "invalid base64 in a bytes node")

    def _dtype_node(self, n, depth):
        (name,) = self._fields(n, "name")
        if name not in TENSOR_DTYPES:
            _fail(self.where, f"unknown dtype {name!r}")
        return TENSOR_DTYPES[name]

    def _device_node(self, n, depth):
        (value,) = self._fields(n, "value")
        try:
            return _device_cls(value)
        except (TypeError, ValueError, RuntimeError):
            _fail(self.where, f"invalid device {value!r}")

    def _size(self, n, depth):
        (items,) = self._fields(n, "items")
        return Size(self._check_shape(items, "size"))

    def _ndarray(self, n, depth):
        storage, dtype, shape = self._fields(n, "storage", "dtype", "shape")
        if dtype not in ARRAY_DTYPES:
            _fail(self.where, f"numpy array has unsupported dtype {dtype!r}")
        shape = self._check_shape(shape, "numpy array")
        nbytes = math.prod(shape) * _np.dtype(dtype).itemsize
        if nbytes != self.sizes[self._check_storage_index(storage, "numpy array")]:
            _fail(self.where, f"numpy array of shape {list(shape)} and dtype {dtype} needs {nbytes} bytes, "
                              f"its storage holds {self.sizes[storage]}")
        return self._buffer(storage).view(host_dtype(dtype)).reshape(shape).astype(_np.dtype(dtype), copy=True)

    def _tensor_node(self, n, depth):
        (index,) = self._fields(n, "index")
        if not _is_int(index) or not 0 <= index < len(self.specs):
            _fail(self.where, f"reference to tensor {index!r}, which does not exist")
        t = self.tensors[index]
        if t is None:
            t = self.tensors[index] = self._build_tensor(self.specs[index])
        return t

    def _build_tensor(self, spec):
        dtype = TENSOR_DTYPES[spec["dtype"]]
        buf = self._buffer(spec["storage"])
        arr = _np.ndarray(tuple(spec["shape"]), host_dtype(dtype.name), buffer=buf, offset=spec["offset"],
                          strides=tuple(spec["strides"]))
        be, dev = resolve_device("cpu")
        t = _make(arr, be, dev, dtype)
        t._version = self._versions.setdefault(spec["storage"], [0, None])  # aliases of one storage share it
        t = self.place(t, spec["device"])
        if spec["requires_grad"]:
            if dtype.category < 2:
                _fail(self.where, f"a {dtype.name} tensor cannot require gradients")
            t.requires_grad_(True)
        if spec["parameter"]:
            from ..nn import parameter as _parameter

            param_cls = getattr(_parameter, "Parameter", None)
            if param_cls is not None:
                t = param_cls(t, requires_grad=spec["requires_grad"])
        return t

    _BUILDERS = {
        "tuple": lambda self, n, d: tuple(self._items(n, d)),
        "set": lambda self, n, d: set(self._hashable_items(n, d)),
        "frozenset": lambda self, n, d: frozenset(self._hashable_items(n, d)),
        "dict": _mapping, "ordered_dict": _mapping, "float": _float, "complex": _complex, "bytes": _bytes,
        "dtype": _dtype_node, "device": _device_node, "size": _size, "ndarray": _ndarray, "tensor": _tensor_node,
    }

    def _hashable_items(self, n, depth):
        items = self._items(n, depth)
        for v in items:
            try:
                hash(v)
            except TypeError:
                _fail(self.where, f"a set holds an unhashable {type(v).__name__}")
        return items
