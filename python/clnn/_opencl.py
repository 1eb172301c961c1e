"""PyOpenCL interop: a clnn context over a PyOpenCL queue, and
pyopencl.array.Array wrapped as a clnn tensor without a copy.

Rules for an array (each refused with a ValueError/TypeError that says so):
  - dtype float32 or int32, C-contiguous, 1 to 4 dimensions;
  - its buffer belongs to the clnn context's cl_context;
  - a nonzero offset (a slice such as a[2:]) is wrapped through an OpenCL
    sub-buffer, which OpenCL allows only at offsets that are a multiple of
    the device's CL_DEVICE_MEM_BASE_ADDR_ALIGN; another offset is refused
    (clnn_tensor_wrap takes a whole cl_mem, no offset; copy the slice first).
clnn writes into the very buffer: results appear in the array, and ordering
with PyOpenCL's own work is the queue's when the context was made by
Context.from_pyopencl(queue) on the array's queue."""
import ctypes

import numpy as np

from ._check import check
from ._lib import LIB


def context_from_queue(cls, queue):
    import pyopencl as cl
    if not isinstance(queue, cl.CommandQueue):
        raise TypeError(f"clnn: Context.from_pyopencl takes a pyopencl.CommandQueue, not {type(queue).__name__}")
    if queue.properties & cl.command_queue_properties.OUT_OF_ORDER_EXEC_MODE_ENABLE:
        raise ValueError("clnn: the queue must be in order (clnn relies on in-order execution)")
    out = ctypes.c_void_p()
    check(LIB.clnn_context_create_from_cl(ctypes.c_void_p(queue.context.int_ptr), ctypes.c_void_p(queue.int_ptr),
                                          ctypes.c_void_p(queue.device.int_ptr), ctypes.byref(out)),
          "clnn_context_create_from_cl")
    ctx = cls.__new__(cls)
    ctx._setup(out.value, queue)
    return ctx


def is_pyopencl_array(obj):
    mod = type(obj).__module__
    if not mod.startswith("pyopencl"):
        return False
    import pyopencl.array
    return isinstance(obj, pyopencl.array.Array)


def wrap_array(tensor_cls, context, array):
    if array.dtype not in (np.float32, np.int32):
        raise TypeError(f"clnn: a PyOpenCL array must be float32 or int32 to be wrapped, not {array.dtype}")
    if not array.flags.c_contiguous:
        raise ValueError("clnn: a PyOpenCL array must be C-contiguous to be wrapped (copy it first)")
    if not 1 <= array.ndim <= 4:
        raise ValueError(f"clnn: a PyOpenCL array of {array.ndim} dimensions (1 to 4 only)")
    if array.base_data is None:
        raise ValueError("clnn: an empty PyOpenCL array has no buffer to wrap")
    cl_context = context.cl_objects()[0]
    if array.context.int_ptr != cl_context:
        raise ValueError("clnn: the PyOpenCL array belongs to another OpenCL context than the clnn context "
                         "(make the context with clnn.Context.from_pyopencl(queue))")
    buffer, keep = array.base_data, array
    if array.offset:
        align = array.queue.device.mem_base_addr_align // 8 if array.queue else 0
        if not align or array.offset % align:
            raise ValueError(f"clnn: a PyOpenCL array at byte offset {array.offset} cannot be wrapped: "
                             f"OpenCL sub-buffers start at multiples of {align or 'the device alignment'} bytes "
                             "(CL_DEVICE_MEM_BASE_ADDR_ALIGN) and clnn_tensor_wrap takes no offset; copy the "
                             "array first (array.copy())")
        buffer = array.base_data.get_sub_region(array.offset, array.nbytes)
        keep = (array, buffer)
    return tensor_cls.wrap(context, buffer.int_ptr, array.shape, array.dtype, keep=keep)
