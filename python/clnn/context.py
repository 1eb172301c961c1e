"""clnn.Context and clnn.devices()."""
import ctypes
import weakref

import numpy as np

from . import _capi
from ._check import check
from ._lib import LIB
from .tensor import Tensor


def struct_to_dict(s):
    """A ctypes struct as a dict: char arrays as str, arrays as lists, nested structs as dicts."""
    out = {}
    for name, ctype in s._fields_:
        out[name] = _value(getattr(s, name), ctype)
    return out


def _value(v, ctype):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, ctypes.Structure):
        return struct_to_dict(v)
    if isinstance(v, ctypes.Array):
        if getattr(ctype, "_type_", None) is ctypes.c_char:
            return v.value.decode("utf-8", "replace")
        return [_value(x, getattr(ctype, "_type_", None)) for x in v]
    return v


def _device_dict(index):
    info, rank = _capi.clnn_device_info(), _capi.clnn_device_rank()
    check(LIB.clnn_device_info_get(index, ctypes.byref(info)), "clnn_device_info_get")
    d = struct_to_dict(info)
    d["type"] = _capi.DeviceType(d["type"])
    check(LIB.clnn_device_rank_get(index, ctypes.byref(rank)), "clnn_device_rank_get")
    d.update(rank=rank.rank, available=bool(rank.available), reason=rank.reason.decode("utf-8", "replace"))
    return d


def devices():
    """Every OpenCL device clnn sees, as dicts (the fields of clnn_device_info
    plus rank, available and reason from clnn_device_rank), in discovery order."""
    count = ctypes.c_size_t()
    check(LIB.clnn_device_count(ctypes.byref(count)), "clnn_device_count")
    return [_device_dict(i) for i in range(count.value)]


class Context:
    """A clnn context: an OpenCL context and in-order queue on one device.

    Context(device=None): device None means $CLNN_DEVICE, else the best-ranked
    device; an int is a device index (or a dict of clnn.devices()); a str a
    selector ("gpu", "cpu", a name substring: clnn_device_select). Use it as a context manager, or close().
    Every C function whose first parameter is the context is a method:
    ctx.focal_loss(logits, labels, gamma=2.0, ...) calls clnn_focal_loss
    (clnn.api has them all; help(ctx.focal_loss) shows the parameters)."""

    def __init__(self, device=None):
        if isinstance(device, dict):  # an entry of clnn.devices()
            device = device["index"]
        selector = None if device is None else str(device).encode()
        out = ctypes.c_void_p()
        check(LIB.clnn_context_create(selector, ctypes.byref(out)), "clnn_context_create")
        self._setup(out.value, None)

    def _setup(self, handle, keep):
        self._handle = handle
        self._keep = keep  # the PyOpenCL objects of from_pyopencl
        self._tensors = weakref.WeakSet()

    @classmethod
    def from_pyopencl(cls, queue):
        """A context over a PyOpenCL CommandQueue (in order), its context and
        device: clnn enqueues its work on that queue, so PyOpenCL work on the
        same queue is ordered with it."""
        from ._opencl import context_from_queue
        return context_from_queue(cls, queue)

    @property
    def handle(self):
        if self._handle is None:
            raise ValueError("clnn: this context was closed")
        return self._handle

    @property
    def closed(self):
        return self._handle is None

    @property
    def device(self):
        """The context's device as a dict (the fields of clnn_device_info)."""
        info = _capi.clnn_device_info()
        check(LIB.clnn_context_device(self.handle, ctypes.byref(info)), "clnn_context_device")
        d = struct_to_dict(info)
        d["type"] = _capi.DeviceType(d["type"])
        return d

    def cl_objects(self):
        """(cl_context, cl_command_queue, cl_device_id) as ints (not retained)."""
        c, q, d = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        check(LIB.clnn_context_cl(self.handle, ctypes.byref(c), ctypes.byref(q), ctypes.byref(d)), "clnn_context_cl")
        return c.value, q.value, d.value

    def finish(self):
        """Waits for every command the context queued."""
        check(LIB.clnn_finish(self.handle), "clnn_finish")

    def tensor(self, shape, dtype=np.float32):
        """A new tensor (contents undefined)."""
        return Tensor(self, shape, dtype)

    def zeros(self, shape, dtype=np.float32):
        return Tensor(self, shape, dtype).fill(0)

    def from_numpy(self, array, dtype=None):
        return Tensor.from_numpy(self, array, dtype)

    def _adopt(self, tensor):
        self.handle  # a closed context makes no tensors
        self._tensors.add(tensor)

    def _forget(self, tensor):
        self._tensors.discard(tensor)

    def close(self):
        """Releases every tensor still alive on the context, then the context. Idempotent."""
        if self._handle is None:
            return
        for t in list(self._tensors):
            t.release()
        LIB.clnn_context_release(self._handle)
        self._handle = None
        self._keep = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            try:
                self.close()
            except Exception:  # interpreter shutdown
                pass

    def __getattr__(self, name):
        # only called for names that are not attributes: the C functions taking a context first
        from . import api
        f = api.FUNCTIONS.get(name)
        if f is None or not f.takes_context:
            raise AttributeError(f"clnn.Context has no attribute {name!r} (and clnn.api no function "
                                 f"clnn_{name} that takes a context)")
        return f.bind(self)

    def __dir__(self):
        from . import api
        return sorted(set(super().__dir__()) | {n for n, f in api.FUNCTIONS.items() if f.takes_context})

    def __repr__(self):
        if self._handle is None:
            return "<clnn.Context closed>"
        return f"<clnn.Context {self.device['name']!r}>"
