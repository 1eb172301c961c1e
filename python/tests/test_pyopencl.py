"""PyOpenCL interop: a context over a PyOpenCL queue, arrays wrapped without
a copy (clnn writes the very buffer), offsets, and the refusals."""
import numpy as np
import pytest

import clnn
from conftest import require

cl = require("pyopencl")
import pyopencl.array as cla  # noqa: E402


@pytest.fixture(scope="module")
def queue():
    # the device clnn picks by default, found in PyOpenCL's list by its name
    want = clnn.devices()[clnn.api.device_select(None)]
    for platform in cl.get_platforms():
        for dev in platform.get_devices():
            if dev.name.strip() == want["name"].strip() and platform.name.strip() == want["platform_name"].strip():
                return cl.CommandQueue(cl.Context([dev]), dev)
    pytest.fail(f"PyOpenCL does not list clnn's device {want['name']!r}")


@pytest.fixture(scope="module")
def pctx(queue):
    with clnn.Context.from_pyopencl(queue) as c:
        yield c


def test_context_adopts_the_queue(queue, pctx):
    c, q, d = pctx.cl_objects()
    assert (c, q, d) == (queue.context.int_ptr, queue.int_ptr, queue.device.int_ptr)
    assert pctx.device["name"].strip() == queue.device.name.strip()


def test_wrap_is_zero_copy(queue, pctx):
    a = cla.to_device(queue, np.arange(12, dtype=np.float32).reshape(3, 4))
    t = clnn.Tensor.from_pyopencl(pctx, a)
    assert t.buffer == a.base_data.int_ptr and t.shape == (3, 4) and t.dtype == np.float32
    clnn.api.scale(t, 2.0)  # clnn writes the buffer; PyOpenCL reads it back
    pctx.finish()
    assert np.array_equal(a.get(), 2 * np.arange(12, dtype=np.float32).reshape(3, 4))
    a.fill(7.0)  # and the other way round
    queue.finish()
    assert np.all(t.numpy() == 7.0)


def test_arrays_wherever_a_tensor_is(queue, pctx, rng):
    z = rng.normal(size=(6, 5)).astype(np.float32)
    y = rng.integers(0, 5, 6).astype(np.int32)
    dz = cla.zeros(queue, (6, 5), np.float32)
    loss = cla.zeros(queue, (1,), np.float32)
    pctx.cross_entropy_labels(cla.to_device(queue, z), cla.to_device(queue, y), loss=loss, dlogits=dz)
    pctx.finish()
    ref_loss, ref_dz = clnn.loss_and_grad(pctx, "cross_entropy_labels", z, y)
    assert loss.get()[0] == pytest.approx(ref_loss, rel=1e-6)
    np.testing.assert_allclose(dz.get(), ref_dz, atol=1e-7)


def test_nonzero_offset(queue, pctx):
    align = queue.device.mem_base_addr_align // 8  # bytes
    n = align // 4  # floats before an aligned sub-buffer
    base = cla.to_device(queue, np.zeros(n + 8, np.float32))
    part = base[n:]  # offset = align bytes: wrapped through a sub-buffer
    assert part.offset == align
    clnn.Tensor.from_pyopencl(pctx, part).fill(3.0)
    pctx.finish()
    got = base.get()
    assert np.all(got[:n] == 0) and np.all(got[n:] == 3.0)
    with pytest.raises(ValueError, match="offset 4 cannot be wrapped"):
        clnn.Tensor.from_pyopencl(pctx, base[1:])


def test_refusals(queue, pctx):
    with pytest.raises(TypeError, match="float32 or int32"):
        clnn.Tensor.from_pyopencl(pctx, cla.zeros(queue, 4, np.float64))
    with pytest.raises(ValueError, match="C-contiguous"):
        clnn.Tensor.from_pyopencl(pctx, cla.zeros(queue, (4, 4), np.float32).transpose())
    with clnn.Context() as other:  # a context of clnn's own, not PyOpenCL's
        with pytest.raises(ValueError, match="another OpenCL context"):
            clnn.Tensor.from_pyopencl(other, cla.zeros(queue, 4, np.float32))
    with pytest.raises(TypeError, match="CommandQueue"):
        clnn.Context.from_pyopencl(queue.context)
