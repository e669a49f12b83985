"""STAND-IN for PyTorch (tests only): shape-tracking tensors with deterministic made-up values.

Supports exactly what stages/transformer.py, model.py and export.py use. Operations called while
`_trace` is a list are recorded there, which the brevitas stand-in's export turns into a graph.
"""
import json
import math
import random
from contextlib import contextmanager

STANDIN = True
_trace = None
float32 = "float32"
bool = "bool"


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _record(op, **attrs):
    if _trace is not None:
        _trace.append({"op": op, **attrs})


class Tensor:
    def __init__(self, shape, data=None):
        self.shape = tuple(int(d) for d in shape)
        self._data = data

    def _values(self):
        if self._data is None:
            self._data = [random.gauss(0.0, 1.0) for _ in range(_numel(self.shape))]
        return self._data

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self):
        return len(self.shape)

    def reshape(self, *shape):
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        if _numel(shape) != _numel(self.shape):
            raise RuntimeError(f"shape {list(shape)} is invalid for input of size {_numel(self.shape)}")
        _record("Reshape", shape=list(shape))
        return Tensor(shape)

    view = reshape

    def transpose(self, a, b):
        shape = list(self.shape)
        shape[a], shape[b] = shape[b], shape[a]
        _record("Transpose", dims=[a, b])
        return Tensor(shape)

    def _broadcast(self, other, op):
        if isinstance(other, Tensor):
            a, b = list(self.shape), list(other.shape)
            n = max(len(a), len(b))
            a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
            out = []
            for x, y in zip(a, b):
                if x != y and 1 not in (x, y):
                    raise RuntimeError(f"{op}: shapes {self.shape} and {other.shape} do not broadcast")
                out.append(max(x, y))
            _record(op)
            return Tensor(out)
        _record(op, scalar=float(other))
        return Tensor(self.shape)

    def __add__(self, other):
        return self._broadcast(other, "Add")

    __radd__ = __add__

    def __mul__(self, other):
        return self._broadcast(other, "Mul")

    __rmul__ = __mul__

    def __matmul__(self, other):
        return matmul(self, other)

    def detach(self):
        return self

    def float(self):
        return self

    def numpy(self):
        import numpy

        return numpy.array(self._values(), dtype=numpy.float32).reshape(self.shape)


def manual_seed(seed):
    random.seed(seed)


def randn(*shape):
    return Tensor(shape)


def tensor(rows, dtype=None):
    def shape_of(x):
        return [len(x)] + shape_of(x[0]) if isinstance(x, list) else []

    flat = []

    def walk(x):
        if isinstance(x, list):
            for y in x:
                walk(y)
        else:
            flat.append(float(x))

    walk(rows)
    return Tensor(shape_of(rows), flat)


def matmul(a, b):
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"matmul: {a.shape} @ {b.shape}")
    _record("MatMul")
    return Tensor(a.shape[:-1] + b.shape[-1:])


def softmax(x, dim=-1):
    _record("Softmax", axis=dim)
    return Tensor(x.shape)


@contextmanager
def no_grad():
    yield


def save(obj, path):
    with open(path, "w") as f:
        json.dump(_jsonable(obj), f, indent=1, sort_keys=True)


def load(path):
    with open(path) as f:
        return json.load(f)


def _jsonable(obj):
    if isinstance(obj, Tensor):
        return {"tensor": list(obj.shape), "checksum": round(sum(obj._values()[:64]), 6)}
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and math.isinf(obj):
        return str(obj)
    return obj


from . import nn  # noqa: E402  (nn uses Tensor)
