"""The keyword-argument wrappers of every C function: conversions, defaults,
outputs, errors, against values computed here independently of clnn."""
import os

import numpy as np
import pytest

import clnn
from clnn import api


def log_softmax(z):
    z = z.astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def test_cross_entropy_against_numpy(ctx, rng):
    z = rng.normal(size=(16, 7)).astype(np.float32)
    y = rng.integers(0, 7, 16)
    loss, dz = clnn.loss_and_grad(ctx, "cross_entropy_labels", z, y)
    lp = log_softmax(z)
    assert loss == pytest.approx(-lp[np.arange(16), y].mean(), rel=1e-5)
    expect = np.exp(lp)
    expect[np.arange(16), y] -= 1
    np.testing.assert_allclose(dz, expect / 16, atol=1e-6)


def test_moco_against_its_formula(ctx, rng):
    # MoCo's code: logits = cat([l_pos, l_neg], 1) / T; cross entropy with label 0;
    # the queue given as the options' tensor field, then the ring-buffer push
    q, k = rng.normal(size=(4, 8)).astype(np.float32), rng.normal(size=(4, 8)).astype(np.float32)
    queue = rng.normal(size=(16, 8)).astype(np.float32)
    loss = np.zeros(1, np.float32)
    ctx.infonce(q, k, "moco", queue=queue, temperature=0.2, loss=loss)
    unit = lambda x: x.astype(np.float64) / np.linalg.norm(x, axis=1, keepdims=True)
    qn, kn, queuen = unit(q), unit(k), unit(queue)
    logits = np.concatenate([(qn * kn).sum(1, keepdims=True), qn @ queuen.T], 1) / 0.2
    assert loss[0] == pytest.approx(-log_softmax(logits)[:, 0].mean(), rel=1e-5)
    ring = np.zeros((5, 8), np.float32)
    assert ctx.moco_queue_push(k, 3, ring) == 2  # rows 3, 4, 0, 1
    np.testing.assert_array_equal(ring[[3, 4, 0, 1]], k)
    np.testing.assert_array_equal(ring[2], 0)


def test_options_keywords_and_defaults(ctx, rng):
    # the defaults the headers document for the C initialisers
    assert api.infonce.option_defaults("opt")["temperature"] == pytest.approx(0.1)
    assert api.infonce.option_defaults("opt")["normalize"] == 1
    ce = api.cross_entropy_labels.option_defaults("opt")
    assert (ce["reduction"], ce["label_smoothing"], ce["ignore_index"]) == (clnn.Reduction.MEAN, 0.0, -100)
    assert api.robust_loss.option_defaults("opt")["gce_q"] == pytest.approx(0.7)
    # a keyword field changes the call: SUM is N times MEAN
    z, y = rng.normal(size=(5, 3)).astype(np.float32), rng.integers(0, 3, 5)
    mean = clnn.loss_and_grad(ctx, "cross_entropy_labels", z, y, grads=False)
    total = clnn.loss_and_grad(ctx, "cross_entropy_labels", z, y, reduction="sum", grads=False)
    as_dict = clnn.loss_and_grad(ctx, "cross_entropy_labels", z, y, opt={"reduction": "sum"}, grads=False)
    assert total == pytest.approx(5 * mean, rel=1e-5) and as_dict == total
    # ignore_index: a row labelled -100 counts for nothing
    y2 = y.copy()
    y2[0] = -100
    lp = log_softmax(z)
    assert clnn.loss_and_grad(ctx, "cross_entropy_labels", z, y2, grads=False) == pytest.approx(
        -lp[np.arange(1, 5), y[1:]].mean(), rel=1e-5)


def test_margin_options_need_their_kind(ctx):
    with pytest.raises(TypeError, match="kind"):
        api.margin_loss.option_defaults("opt")
    assert api.margin_loss.option_defaults("opt", kind="arcface")["kind"] == clnn.MarginKind.ARCFACE


def test_enums_by_name_value_and_member(ctx, rng):
    z = rng.normal(size=(4, 3)).astype(np.float32)
    by = [clnn.loss_and_grad(ctx, "z_loss", z, coef=0.5, reduction=r, grads=False)
          for r in ("sum", "SUM", clnn.Reduction.SUM, 1)]
    assert len(set(by)) == 1
    with pytest.raises(ValueError, match="mean"):
        clnn.loss_and_grad(ctx, "z_loss", z, coef=0.5, reduction="average")


def test_numpy_outputs_are_written_back(ctx):
    x = np.array([-1.0, 0.5, 2.0], np.float32)
    y = np.zeros(3, np.float32)
    ctx.activation_forward(x, "relu", 0.0, y)
    assert y.tolist() == [0.0, 0.5, 2.0]
    with pytest.raises(TypeError, match="written by the call"):
        ctx.activation_forward(x, "relu", 0.0, [0.0, 0.0, 0.0])


def test_scalar_and_string_outputs(ctx):
    assert api.device_count() == len(clnn.devices())
    # alpha_t = alpha * min(t / t_alpha, 1) (clnn/optim.h)
    assert api.ademamix_alpha_at(8.0, 100, 25) == pytest.approx(2.0)
    assert api.tune_db_path() == os.environ.get("CLNN_TUNE_DB", api.tune_db_path())
    assert api.status_string(clnn.Status.ERR_SHAPE).startswith("CLNN_ERR_SHAPE")
    assert api.tune_get_mode(ctx) in set(clnn.TuneMode)
    perm = np.zeros(10, np.int32)
    api.permutation_sample(7, 10, perm=perm)  # an int32 * output filled in place
    assert sorted(perm.tolist()) == list(range(10))


def test_tensor_lists_and_counts(ctx):
    g = [np.full(4, 3.0, np.float32), np.full(2, 4.0, np.float32)]
    factor = np.zeros(2, np.float32)
    ctx.grad_clip_factor(g, 100.0, factor=factor)  # n is the list's length
    assert factor[1] == pytest.approx(np.sqrt(4 * 9 + 2 * 16), rel=1e-6)


def test_errors_raise_with_message(ctx, rng):
    z = rng.normal(size=(4, 3)).astype(np.float32)
    with pytest.raises(clnn.InvalidArgumentError) as e:
        clnn.loss_and_grad(ctx, "focal_loss", z, np.zeros(4, np.int32), gamma=-1.0, poly_eps=0.0, reduction="mean")
    assert "gamma" in e.value.message and e.value.status == clnn.Status.ERR_INVALID_ARGUMENT
    with pytest.raises(clnn.ShapeError, match="clnn_z_loss"):
        ctx.z_loss(z, 0.1, "mean", loss=np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="missing argument 'coef'"):
        ctx.z_loss(z, reduction="mean")
    with pytest.raises(TypeError, match="unexpected argument 'gama'"):
        ctx.focal_loss(z, gama=1)
    with pytest.raises(ValueError, match="reduction NONE"):
        clnn.loss_and_grad(ctx, "z_loss", z, coef=0.1, reduction="none")
    none = np.zeros(4, np.float32)
    ctx.z_loss(z, 0.1, "none", loss=none)  # explicit outputs work with NONE
    lse = np.log(np.exp(z.astype(np.float64)).sum(axis=1))
    np.testing.assert_allclose(none, 0.1 * lse ** 2, rtol=1e-5)


def test_every_function_is_reachable():
    from clnn import _capi
    assert set(api.FUNCTIONS) == {n[len("clnn_"):] for n in _capi.FUNCTIONS}
    for name, f in api.FUNCTIONS.items():
        assert f.__doc__.startswith(f"clnn_{name}(")
    assert not clnn._lib.MISSING, f"in the headers but not in libclnn: {clnn._lib.MISSING}"


def test_lists_of_different_lengths_are_refused(ctx):
    w = [np.ones(3, np.float32), np.ones(2, np.float32)]
    with pytest.raises(ValueError, match="one length"):
        ctx.ema_update(w, 0.5, ema=[np.zeros(3, np.float32)])
    with pytest.raises(ValueError, match="n = 5 but w has 2 entries"):
        ctx.ema_update(w, 0.5, ema=[np.zeros(3, np.float32), np.zeros(2, np.float32)], n=5)
    ema = [np.zeros(3, np.float32), np.full(2, 4.0, np.float32)]
    ctx.ema_update(w, 0.5, ema=ema)  # ema = beta*ema + (1 - beta)*w
    assert ema[0].tolist() == [0.5] * 3 and ema[1].tolist() == [2.5] * 2


def test_a_count_never_exceeds_what_it_counts(ctx):
    t = ctx.from_numpy(np.arange(8, dtype=np.float32))
    small = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="bytes = 32 but dst has 16 bytes"):
        api.tensor_download(t, small, bytes=32)
    with pytest.raises(clnn.ShapeError, match="clnn_tensor_download: 16 bytes"):
        api.tensor_download(t, small)  # the implied size is the array's: clnn refuses the mismatch
    out = np.zeros(8, np.float32)
    api.tensor_download(t, out)
    assert out.tolist() == list(range(8))
    with pytest.raises(ValueError, match="n = 10 but perm has 5 entries"):
        api.permutation_sample(7, 10, perm=np.zeros(5, np.int32))


def test_functions_without_a_context_need_tensors(ctx):
    with pytest.raises(TypeError, match="clnn_scale takes no context.*ctx.from_numpy"):
        api.scale(np.ones(3, np.float32), 2.0)
    t = ctx.from_numpy(np.ones(3, np.float32))
    api.scale(t, 2.0)
    assert t.numpy().tolist() == [2.0, 2.0, 2.0]


def test_optimizer_object(ctx):
    # an opaque handle (clnn_optimizer_state) travels as an int; a group's
    # fields are keywords (clnn_param_group has an _init), NaN ones inherit
    import ctypes
    from clnn import _capi
    w0 = np.linspace(-1, 1, 7, dtype=np.float32)
    w = clnn.Tensor.from_numpy(ctx, w0)
    g = clnn.Tensor.from_numpy(ctx, np.full(7, 0.5, np.float32))
    opt = api.optimizer_create(ctx, flags=0, kind="sgd", lr=0.1, weight_decay=0.0)
    try:
        params = (_capi.clnn_param * 1)()
        params[0].w, params[0].g = w.handle, g.handle
        api.optimizer_add_group(opt, nparams=1, params=ctypes.addressof(params), lr=0.2)
        api.optimizer_step(opt)
        api.optimizer_step(opt)
        assert api.optimizer_get_step(opt, 0) == 2
        np.testing.assert_allclose(w.numpy(), w0 - 2 * 0.2 * 0.5, atol=1e-6)
        with pytest.raises(clnn.errors.InvalidArgumentError, match="no m buffer"):
            api.optimizer_state_save(opt, 0, "m", clnn.Tensor.from_numpy(ctx, np.zeros(7, np.float32)))
    finally:
        api.optimizer_release(opt)
