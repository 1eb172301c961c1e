"""PyTorch autograd wrappers over clnn's losses, output regularizers,
contrastive objectives and weight penalties (this module imports torch).

    import clnn.torch as ct
    loss = ct.loss("infonce_tiled", z1, z2, mode="nt_xent", temperature=0.1)
    loss.backward()                           # z1.grad, z2.grad from clnn's kernels
    crit = ct.InfoNCE(mode="nt_xent")         # the same as an nn.Module
    crit = ct.Loss("focal_loss", gamma=2.0, poly_eps=0.0, reduction="mean")

Any clnn function with a `loss` (or `value`) output and dX gradient outputs
works by name (clnn.losses.loss_and_grad finds them from the headers), and so
does a weight penalty pair NAME_value / NAME_grad (ct.loss("reg_ortho", w,
lambda_=1e-3)). Tensors are CPU torch tensors of any float dtype: they are
copied to float32 host arrays, uploaded, and the value and gradients, all
computed in one clnn call in the forward pass, are downloaded again (the
backward pass only scales them by the incoming gradient). Those host copies
cost time: docs/python.md gives a measured figure. Reductions MEAN and SUM
only (a NONE loss is a vector whose gradient clnn gives only summed).
Keyword arguments named like Python keywords take a trailing underscore
(lambda_ for lambda)."""
import keyword

import torch

from . import api
from .context import Context
from .losses import _reduction, grad_targets, loss_and_grad

_context = None


def set_context(ctx):
    """The clnn.Context the wrappers use when given none (default: Context())."""
    global _context
    _context = ctx


def get_context():
    global _context
    if _context is None or _context.closed:
        _context = Context()
    return _context


def _host(t):
    """A torch tensor as the host array clnn uploads (float32 or int32; a view when it can be)."""
    t = t.detach()
    if t.device.type != "cpu":
        raise ValueError("clnn.torch: tensors must be on the CPU (clnn runs on its own OpenCL device)")
    if t.is_floating_point():
        return t.to(torch.float32).contiguous().numpy()
    return t.to(torch.int32).contiguous().numpy()


def _kwargs(kwargs):
    return {(k[:-1] if k.endswith("_") and keyword.iskeyword(k[:-1]) else k): v for k, v in kwargs.items()}


def _differentiable(name):
    """{input parameter: gradient output} of a clnn function, by name."""
    fns = api.FUNCTIONS
    if name not in fns and f"{name}_value" in fns:
        return {"w": "grad"}
    return {target: out for out, target in grad_targets(fns[name]).items()}


class _ClnnFunction(torch.autograd.Function):
    """forward: one clnn call for the value and every needed gradient; backward: those scaled."""

    @staticmethod
    def forward(fctx, name, ctx, kwargs, tensor_names, *tensors):
        values = dict(kwargs)
        values.update({n: _host(t) for n, t in zip(tensor_names, tensors)})
        diff = _differentiable(name)
        want = tuple(n for n, t in zip(tensor_names, tensors) if n in diff and t.requires_grad and t.is_floating_point())
        out = loss_and_grad(ctx, name, grads=want or False, **values)
        value, grads = (out[0], out[1:]) if isinstance(out, tuple) else (out, ())
        # loss_and_grad returns the gradients in C order: match them to the names
        order = [n for n in _c_order(name) if n in want]
        by_name = dict(zip(order, grads))
        dtype = next((t.dtype for t in tensors if t.is_floating_point()), torch.float32)
        fctx.grads = [torch.from_numpy(by_name[n]).to(t.dtype) if n in by_name else None
                      for n, t in zip(tensor_names, tensors)]
        return torch.tensor(value, dtype=dtype)

    @staticmethod
    def backward(fctx, grad_output):
        return (None, None, None, None, *[None if g is None else g * grad_output for g in fctx.grads])


def _c_order(name):
    fns = api.FUNCTIONS
    fn = fns.get(name) or fns[f"{name}_value"]
    return [p[0] for p in fn.params]


def loss(name, *args, ctx=None, **kwargs):
    """clnn_<name> as a differentiable torch scalar. args are the C parameters
    after the context, in order; torch tensors (positional or keyword) are
    the inputs, gradients flow to those that require them."""
    ctx = ctx or get_context()
    kwargs = _kwargs(kwargs)
    fns = api.FUNCTIONS
    fn = fns.get(name) or fns.get(f"{name}_value")
    if fn is None:
        raise AttributeError(f"clnn.torch: no clnn function {name!r}")
    names = [p[0] for p in fn.params[1:]]
    if len(args) > len(names):
        raise TypeError(f"clnn_{name}: too many positional arguments")
    kwargs.update(zip(names, args))
    if fn.name in fns and _reduction(fn, kwargs) == "NONE":
        raise ValueError(f"clnn.torch: clnn_{name} with reduction NONE is not differentiable here "
                         "(clnn gives the summed gradient only): use mean or sum")
    tensor_names = tuple(k for k, v in kwargs.items() if isinstance(v, torch.Tensor))
    tensors = [kwargs.pop(k) for k in tensor_names]
    return _ClnnFunction.apply(name, ctx, kwargs, tensor_names, *tensors)


class Loss(torch.nn.Module):
    """A clnn function as a module: Loss(name, ctx=None, **fixed keyword arguments);
    forward(*inputs, **more) calls clnn.torch.loss(name, *inputs, **fixed, **more)."""

    def __init__(self, name, ctx=None, **kwargs):
        super().__init__()
        self.name, self.ctx, self.kwargs = name, ctx, kwargs

    def forward(self, *args, **kwargs):
        return loss(self.name, *args, ctx=self.ctx, **{**self.kwargs, **kwargs})

    def extra_repr(self):
        return ", ".join([repr(self.name)] + [f"{k}={v!r}" for k, v in self.kwargs.items()])


class InfoNCE(Loss):
    """InfoNCE / NT-Xent / CLIP's symmetric loss of two views (clnn_infonce_tiled
    by default: no N x N matrix; tiled=False uses clnn_infonce). Options as
    clnn_contrastive_options (temperature=0.1, margin, normalize, decoupled, reduction)."""

    def __init__(self, mode="nt_xent", tiled=True, ctx=None, **options):
        super().__init__("infonce_tiled" if tiled else "infonce", ctx, mode=mode, **options)


class SupCon(Loss):
    """Supervised contrastive loss (clnn_supcon): forward(z1, z2, labels)."""

    def __init__(self, ctx=None, **options):
        super().__init__("supcon", ctx, **options)


class FocalLoss(Loss):
    """Focal loss with the Poly-1 term (clnn_focal_loss): forward(logits, labels)."""

    def __init__(self, gamma=2.0, poly_eps=0.0, reduction="mean", ctx=None):
        super().__init__("focal_loss", ctx, gamma=gamma, poly_eps=poly_eps, reduction=reduction)


class ZLoss(Loss):
    """PaLM's z-loss (clnn_z_loss): forward(logits)."""

    def __init__(self, coef=1e-4, reduction="mean", ctx=None):
        super().__init__("z_loss", ctx, coef=coef, reduction=reduction)


class ConfidencePenalty(Loss):
    """Confidence penalty −β·H(softmax(z)) (clnn_confidence_penalty): forward(logits)."""

    def __init__(self, beta=0.1, reduction="mean", ctx=None):
        super().__init__("confidence_penalty", ctx, beta=beta, reduction=reduction)


class WeightPenalty(Loss):
    """A weight regularizer's value with its gradient: WeightPenalty("reg_ortho",
    lambda_=1e-3), WeightPenalty("reg", reg={"kind": "l1", "strength": 1e-4});
    forward(w)."""

    def __init__(self, name, ctx=None, **kwargs):
        super().__init__(name, ctx, **kwargs)
