"""STAND-IN for the sliver of numpy the export stage uses (tests on hosts without numpy only).

`array(flat, dtype=float32).reshape(shape)`, `.astype(float32)` and `save` writing a real .npy
(version 1.0, little-endian float32, C order).
"""
import struct

STANDIN = True
float32 = "float32"


class ndarray:
    def __init__(self, data, shape):
        self.data, self.shape, self.dtype = list(data), tuple(shape), float32

    def reshape(self, shape):
        return ndarray(self.data, shape)

    def astype(self, dtype):
        if dtype != float32:
            raise TypeError("numpy-lite stand-in: only float32")
        return self


def array(data, dtype=float32):
    return ndarray([float(x) for x in data], (len(data),))


def save(path, arr):
    shape = "(" + "".join(f"{d}, " for d in arr.shape).rstrip(" ") + ")"
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (shape if len(arr.shape) != 1 else f"({arr.shape[0]},)")
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    with open(path if str(path).endswith(".npy") else f"{path}.npy", "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack(f"<{len(arr.data)}f", *arr.data))
