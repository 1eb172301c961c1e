"""loss_and_grad: one call of a clnn loss or penalty on host arrays, with its
outputs allocated here. The outputs are found from the C parameter names, so
every loss of the headers works without a table:
  - the value is the tensor parameter named `loss` or `value` (1 element;
    with reduction NONE pass loss=<array of the right size>);
  - the gradient of input X is the output named dX (dlogits, dz1, dW, ...;
    db is that of `bias` where `b` is not a tensor, and clnn_cross_entropy_soft
    calls its dlogits dgrad);
  - a weight penalty that comes as a pair NAME_value / NAME_grad (reg_ortho,
    reg_group_lasso, reg, ...) is both calls, the gradient accumulated into zeros.
"""
import numpy as np

from . import api

_GRAD_SPECIAL = {("cross_entropy_soft", "dgrad"): "logits"}


def _shape_of(v):
    return tuple(getattr(v, "shape", None) or np.shape(v))


def grad_targets(fn):
    """{output parameter: input parameter} of a loss Function's gradients."""
    tensors = {p[0] for p in fn.params if p[1] in ("tensor", "tensor_mut")}
    out = {}
    for pname, kind, _, _ in fn.params:
        if kind != "tensor_mut":
            continue
        target = _GRAD_SPECIAL.get((fn.name, pname))
        if target is None and pname.startswith("d") and pname[1:] in tensors:
            target = pname[1:]
        if target is None and pname == "db" and "bias" in tensors:
            target = "bias"
        if target is not None:
            out[pname] = target
    return out


def value_param(fn):
    return next((p[0] for p in fn.params if p[1] == "tensor_mut" and p[0] in ("loss", "value")), None)


def _reduction(fn, values):
    r = values.get("reduction")
    for fields in fn._option_fields.values():
        for k, f in fields.items():
            if f == "reduction" and k in values:
                r = values[k]
    if isinstance(r, str):
        return r.upper()
    return None if r is None else getattr(r, "name", {0: "MEAN", 1: "SUM", 2: "NONE"}.get(int(r)))


def loss_and_grad(ctx, name, *args, grads=True, **kwargs):
    """Calls clnn_<name> once, returning (value, gradient, ...): the value as
    a float (a numpy array with reduction NONE), then the gradient of each
    input that has one and was given, in the C order, as float32 numpy
    arrays of the input's shape. grads=False computes the value alone;
    grads=("z1",) only those inputs' gradients. Inputs may be numpy arrays,
    clnn.Tensors or PyOpenCL arrays; the rest are the C parameters."""
    fns = api.FUNCTIONS
    if name not in fns and f"{name}_value" in fns and f"{name}_grad" in fns:
        return _value_and_grad_pair(ctx, name, args, grads, kwargs)
    fn = fns.get(name)
    if fn is None:
        raise AttributeError(f"clnn: no function clnn_{name}")
    values = fn._bind((ctx,) + args, kwargs)
    vparam = value_param(fn)
    outputs = []
    if vparam and values.get(vparam) is None:
        if _reduction(fn, values) == "NONE":
            raise ValueError(f"clnn_{name}: with reduction NONE pass {vparam}= an array of as many elements as "
                             "terms (they depend on the loss: rows, elements, pairs)")
        values[vparam] = np.zeros(1, np.float32)
    if vparam:
        outputs.append(vparam)
    for out, target in grad_targets(fn).items():
        wanted = grads is True or (grads and target in grads)
        if wanted and values.get(target) is not None and values.get(out) is None:
            values[out] = np.zeros(_shape_of(values[target]), np.float32)
            outputs.append(out)
    fn(**values)
    result = [values[o] for o in outputs]
    if vparam and isinstance(result[0], np.ndarray) and result[0].size == 1:
        result[0] = float(result[0].reshape(-1)[0])
    return result[0] if len(result) == 1 else tuple(result)


def _value_and_grad_pair(ctx, name, args, grads, kwargs):
    vfn, gfn = api.FUNCTIONS[f"{name}_value"], api.FUNCTIONS[f"{name}_grad"]
    value = np.zeros(1, np.float32)
    vfn(ctx, *args, value=value, **kwargs)
    if not grads:
        return float(value[0])
    w = gfn._bind((ctx,) + args, kwargs)["w"]
    grad = np.zeros(_shape_of(w), np.float32)
    gfn(ctx, *args, grad=grad, **kwargs)
    return float(value[0]), grad
