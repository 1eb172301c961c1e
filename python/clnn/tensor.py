"""clnn.Tensor: an fp32 or int32 tensor of 1 to 4 dimensions on a context's
device, made from a shape, a numpy array or a PyOpenCL array."""
import ctypes

import numpy as np

from ._capi import CONSTANTS, Dtype
from ._check import check
from ._lib import LIB

MAX_DIMS = CONSTANTS["CLNN_MAX_DIMS"]
_NUMPY = {Dtype.FLOAT32: np.dtype(np.float32), Dtype.INT32: np.dtype(np.int32)}


def clnn_dtype(dtype):
    """The clnn.Dtype of a numpy dtype, a clnn.Dtype or a name ("float32", "int32")."""
    if isinstance(dtype, Dtype):
        return dtype
    if isinstance(dtype, str) and dtype.upper() in Dtype.__members__:
        return Dtype[dtype.upper()]
    np_dtype = np.dtype(dtype)
    for d, n in _NUMPY.items():
        if n == np_dtype:
            return d
    raise TypeError(f"clnn tensors hold float32 or int32, not {np_dtype}")


def shape_array(shape):
    """A ctypes size_t array of a shape, checked for what C cannot see (a
    negative or non-integer size); the rest (1..4 dims, sizes >= 1) is clnn's."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        raise ValueError(f"clnn: a shape is non-negative integers, not {shape}")
    return (ctypes.c_size_t * max(len(shape), 1))(*shape), len(shape)


def host_array(array, dtype=None):
    """array as a C-contiguous float32 or int32 numpy array: floats become
    float32, integers int32 (refused when a value does not fit), bools 0/1 int32."""
    a = np.asarray(array)
    if dtype is not None:
        target = _NUMPY[clnn_dtype(dtype)]
    elif a.dtype.kind == "f":
        target = _NUMPY[Dtype.FLOAT32]
    elif a.dtype.kind in "iub":
        target = _NUMPY[Dtype.INT32]
    else:
        raise TypeError(f"clnn: cannot make a tensor of a {a.dtype} array (float32 or int32 only)")
    if a.dtype.kind in "iu" and target == np.int32 and a.size and a.dtype != np.int32:
        if a.min() < -2 ** 31 or a.max() >= 2 ** 31:
            raise OverflowError("clnn: integer values outside int32")
    return np.ascontiguousarray(a, dtype=target)


class Tensor:
    """A device tensor of a clnn.Context. Tensor(ctx, shape, dtype=float32)
    allocates one (contents undefined); Tensor.from_numpy(ctx, array) uploads
    an array; Tensor.from_pyopencl(ctx, array) wraps a pyopencl.array.Array
    without copying. np.asarray(t) or t.numpy() downloads (a blocking copy)."""

    def __init__(self, context, shape, dtype=np.float32):
        dims, ndim = shape_array(shape)
        out = ctypes.c_void_p()
        check(LIB.clnn_tensor_create(context.handle, clnn_dtype(dtype), ndim, dims, ctypes.byref(out)),
              "clnn_tensor_create")
        self._init(context, out.value, None)

    def _init(self, context, handle, keep):
        self.context = context
        self._handle = handle
        self._keep = keep  # what must outlive the tensor: a wrapped buffer, a sub-buffer
        context._adopt(self)

    @classmethod
    def _from_handle(cls, context, handle, keep=None):
        t = cls.__new__(cls)
        t._init(context, handle, keep)
        return t

    @classmethod
    def from_numpy(cls, context, array, dtype=None):
        """A new tensor holding array (converted as host_array says)."""
        a = host_array(array, dtype)
        t = cls(context, a.shape if a.ndim else (1,), clnn_dtype(a.dtype))
        t.upload(a)
        return t

    @classmethod
    def wrap(cls, context, buffer, shape, dtype=np.float32, keep=None):
        """A tensor over a caller's cl_mem (an int handle), not owned: the
        buffer must belong to the context's cl_context and outlive the tensor
        (keep: an object the tensor holds on to for that)."""
        dims, ndim = shape_array(shape)
        out = ctypes.c_void_p()
        check(LIB.clnn_tensor_wrap(context.handle, ctypes.c_void_p(buffer), clnn_dtype(dtype), ndim, dims,
                                   ctypes.byref(out)), "clnn_tensor_wrap")
        return cls._from_handle(context, out.value, keep)

    @classmethod
    def from_pyopencl(cls, context, array):
        """Wraps a pyopencl.array.Array without a copy (clnn/_opencl.py has the rules)."""
        from ._opencl import wrap_array
        return wrap_array(cls, context, array)

    @property
    def handle(self):
        if self._handle is None:
            raise ValueError("clnn: this tensor was released (or its context closed)")
        return self._handle

    @property
    def shape(self):
        ndim, dims = ctypes.c_int(), (ctypes.c_size_t * MAX_DIMS)()
        check(LIB.clnn_tensor_shape(self.handle, ctypes.byref(ndim), dims), "clnn_tensor_shape")
        return tuple(dims[: ndim.value])

    @property
    def dtype(self):
        """The numpy dtype (float32 or int32)."""
        return _NUMPY[Dtype(LIB.clnn_tensor_dtype(self.handle))]

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return LIB.clnn_tensor_count(self.handle)

    @property
    def nbytes(self):
        return self.size * 4

    @property
    def buffer(self):
        """The cl_mem as an int (not retained)."""
        return LIB.clnn_tensor_buffer(self.handle)

    def upload(self, array):
        """Copies array (same element count; converted to this dtype) into the tensor."""
        a = host_array(array, self.dtype)
        if a.size != self.size:
            raise ValueError(f"clnn: upload of {a.size} elements into a tensor of {self.size} ({self.shape})")
        check(LIB.clnn_tensor_upload(self.handle, a.ctypes.data, a.nbytes), "clnn_tensor_upload")
        return self

    def numpy(self):
        """A new numpy array with the tensor's contents (waits for queued work)."""
        out = np.empty(self.shape, self.dtype)
        check(LIB.clnn_tensor_download(self.handle, out.ctypes.data, out.nbytes), "clnn_tensor_download")
        return out

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self):
        """The value of a one-element tensor."""
        if self.size != 1:
            raise ValueError(f"clnn: item() of a tensor of {self.size} elements")
        return self.numpy().reshape(-1)[0].item()

    def fill(self, value):
        check(LIB.clnn_tensor_fill(self.handle, float(value)), "clnn_tensor_fill")
        return self

    def reshape(self, shape):
        """Reinterprets the tensor in place with a shape of the same count; returns it."""
        dims, ndim = shape_array(shape)
        check(LIB.clnn_tensor_reshape(self.handle, ndim, dims), "clnn_tensor_reshape")
        return self

    def release(self):
        """Frees the tensor now (its buffer too unless wrapped). Idempotent."""
        if self._handle is not None:
            LIB.clnn_tensor_release(self._handle)
            self._handle = None
            self._keep = None
            self.context._forget(self)

    close = release

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            try:
                self.release()
            except Exception:  # interpreter shutdown: LIB may be gone
                pass

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        if self._handle is None:
            return "<clnn.Tensor released>"
        return f"<clnn.Tensor shape={self.shape} dtype={self.dtype}>"
