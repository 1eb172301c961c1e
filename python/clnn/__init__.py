"""clnn: Python bindings of libclnn, the portable OpenCL backend for neural networks.

    import clnn, numpy as np
    with clnn.Context() as ctx:                       # or clnn.Context("cpu"), Context(1)
        loss, dlogits = clnn.loss_and_grad(ctx, "focal_loss", logits, labels,
                                           gamma=2.0, poly_eps=0.0, reduction="mean")

clnn.Context, clnn.Tensor and clnn.devices() are the objects; every C function
is in clnn.api (and a method of Context when it takes the context first);
errors raise clnn.Error subclasses; clnn.torch has autograd wrappers (it
imports torch). docs/python.md has the rest."""
from ._capi import CONSTANTS, ENUMS as _ENUMS
from ._lib import PATH as library_path
from ._lib import version
from .context import Context, devices
from .errors import (BuildError, CommError, DeviceNotFoundError, Error, FileError, InternalError,
                     InvalidArgumentError, OpenCLError, OutOfMemoryError, ShapeError, UnsupportedError)
from .losses import loss_and_grad
from .tensor import Tensor
from . import api

__all__ = ["Context", "Tensor", "devices", "loss_and_grad", "api", "version", "library_path", "CONSTANTS",
           "Error", "InvalidArgumentError", "ShapeError", "OutOfMemoryError", "DeviceNotFoundError", "BuildError",
           "OpenCLError", "FileError", "UnsupportedError", "InternalError", "CommError"]
__all__ += [_e.__name__ for _e in _ENUMS.values()]

float32 = "float32"
int32 = "int32"
# the generated enums, by their Python names: clnn.Status, clnn.Reduction, clnn.InfonceMode, ...
globals().update({_e.__name__: _e for _e in _ENUMS.values()})
