"""Turns a clnn_status into an exception with clnn's message."""
from ._lib import last_error
from .errors import error_for


def check(status, function):
    """Raises the clnn.Error subclass of a negative status. The message is the
    calling thread's last error, which every failing clnn call sets (a
    context's own message would be no better, and the context may be the bad
    argument)."""
    if status < 0:
        raise error_for(status, last_error(None), function)
    return status
