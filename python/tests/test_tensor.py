"""Tensors and contexts: round trips, shapes and dtypes, lifetimes, devices, errors."""
import numpy as np
import pytest

import clnn


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_round_trip(ctx, rng, shape, dtype):
    a = (rng.normal(size=shape) * 1000).astype(dtype)
    t = clnn.Tensor.from_numpy(ctx, a)
    assert t.shape == shape and t.dtype == np.dtype(dtype) and t.size == a.size and t.nbytes == a.nbytes
    assert np.array_equal(t.numpy(), a)
    assert np.array_equal(np.asarray(t), a)  # __array__
    assert np.array_equal(np.asarray(t, dtype=np.float64), a.astype(np.float64))


def test_conversions(ctx):
    assert clnn.Tensor.from_numpy(ctx, np.arange(6, dtype=np.float64)).dtype == np.float32
    assert clnn.Tensor.from_numpy(ctx, np.arange(6, dtype=np.int64)).dtype == np.int32
    assert clnn.Tensor.from_numpy(ctx, [[1.5, 2.5]]).shape == (1, 2)
    assert clnn.Tensor.from_numpy(ctx, np.arange(4.0).reshape(2, 2).T).numpy().tolist() == [[0, 2], [1, 3]]
    with pytest.raises(OverflowError, match="int32"):
        clnn.Tensor.from_numpy(ctx, np.array([2 ** 40]))
    with pytest.raises(TypeError, match="float32 or int32"):
        clnn.Tensor.from_numpy(ctx, np.array(["a"]))
    with pytest.raises(TypeError, match="float32 or int32"):
        ctx.tensor((2,), np.float64)


def test_fill_reshape_upload(ctx):
    t = ctx.tensor((2, 6)).fill(2.5)
    assert np.all(t.numpy() == 2.5)
    t.reshape((3, 4))
    assert t.shape == (3, 4)
    t.upload(np.arange(12))
    assert t.numpy().reshape(-1).tolist() == list(range(12))
    with pytest.raises(ValueError, match="12"):
        t.upload(np.arange(5))
    with pytest.raises(clnn.ShapeError, match="clnn_tensor_reshape"):
        t.reshape((5,))
    assert ctx.zeros(3).numpy().tolist() == [0, 0, 0]
    assert ctx.from_numpy([4.0]).item() == 4.0


def test_shape_errors_carry_message_and_status(ctx):
    with pytest.raises(clnn.Error) as e:
        ctx.tensor((1, 2, 3, 4, 5))
    assert e.value.status in (clnn.Status.ERR_INVALID_ARGUMENT, clnn.Status.ERR_SHAPE)
    assert "clnn_tensor_create" in e.value.message and e.value.function == "clnn_tensor_create"
    with pytest.raises(ValueError, match="non-negative"):
        ctx.tensor((2, -1))


def test_release_and_close():
    with clnn.Context() as c:
        t = c.tensor(4)
        t.release()
        t.release()  # idempotent
        assert "released" in repr(t)
        with pytest.raises(ValueError, match="released"):
            t.numpy()
        live = c.tensor(4)
    assert c.closed
    with pytest.raises(ValueError, match="released"):  # the context's close released it
        live.numpy()
    with pytest.raises(ValueError, match="closed"):
        c.tensor(3)


def test_devices_and_context_device(ctx):
    devs = clnn.devices()
    assert devs, "clnn sees no OpenCL device"
    for i, d in enumerate(devs):
        assert d["index"] == i and isinstance(d["type"], clnn.DeviceType) and d["name"] and d["reason"]
    assert ctx.device["key"] in {d["key"] for d in devs}
    with clnn.Context(0) as c0, clnn.Context(devs[-1]) as last:
        assert c0.device["key"] == devs[0]["key"] and last.device["key"] == devs[-1]["key"]


def test_unknown_device_is_a_device_not_found_error():
    with pytest.raises(clnn.DeviceNotFoundError) as e:
        clnn.Context("no-such-device-xyz")
    assert e.value.status == clnn.Status.ERR_DEVICE_NOT_FOUND
    assert "no-such-device-xyz" in str(e.value)
    assert isinstance(e.value, LookupError)


def test_version_and_library():
    assert clnn.version().count(".") == 2
    assert clnn.library_path.endswith("libclnn.so.0")
