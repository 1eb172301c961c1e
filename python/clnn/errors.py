"""clnn.Error and one subclass per clnn_status: every failed C call raises the
subclass of its status, carrying clnn's own message (clnn_last_error)."""
from ._capi import Status


class Error(Exception):
    """A clnn call failed. .status is the clnn.Status, .message clnn's sentence
    (it names the function and the bad argument), .function the C function."""

    def __init__(self, status, message, function=None):
        try:
            self.status = Status(status)
        except ValueError:  # a status newer than these bindings
            self.status = status
        self.message = message
        self.function = function
        name = getattr(self.status, "name", f"status {status}")
        super().__init__(f"{message} [{name}]" if message else name)


class InvalidArgumentError(Error, ValueError):
    """CLNN_ERR_INVALID_ARGUMENT: NULL handle, bad value, non-finite hyper-parameter."""


class ShapeError(Error, ValueError):
    """CLNN_ERR_SHAPE: shapes, sizes or dtypes disagree."""


class OutOfMemoryError(Error, MemoryError):
    """CLNN_ERR_OUT_OF_MEMORY: a host or device allocation failed or is too large."""


class DeviceNotFoundError(Error, LookupError):
    """CLNN_ERR_DEVICE_NOT_FOUND: no OpenCL device, or the selector matched none."""


class BuildError(Error):
    """CLNN_ERR_BUILD: a kernel failed to compile (the message has the log)."""


class OpenCLError(Error):
    """CLNN_ERR_OPENCL: an OpenCL call failed."""


class FileError(Error, OSError):
    """CLNN_ERR_IO: a file could not be read or written."""


class UnsupportedError(Error):
    """CLNN_ERR_UNSUPPORTED: the device lacks a needed capability."""


class InternalError(Error):
    """CLNN_ERR_INTERNAL: a bug in clnn."""


class CommError(Error):
    """CLNN_ERR_COMM: a communication step failed or timed out."""


_BY_STATUS = {
    Status.ERR_INVALID_ARGUMENT: InvalidArgumentError, Status.ERR_SHAPE: ShapeError,
    Status.ERR_OUT_OF_MEMORY: OutOfMemoryError, Status.ERR_DEVICE_NOT_FOUND: DeviceNotFoundError,
    Status.ERR_BUILD: BuildError, Status.ERR_OPENCL: OpenCLError, Status.ERR_IO: FileError,
    Status.ERR_UNSUPPORTED: UnsupportedError, Status.ERR_INTERNAL: InternalError, Status.ERR_COMM: CommError,
}


def error_for(status, message, function=None):
    """The exception for a negative status (one clnn does not know yet: Error)."""
    try:
        cls = _BY_STATUS.get(Status(status), Error)
    except ValueError:
        cls = Error
    return cls(status, message, function)
