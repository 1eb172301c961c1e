"""Finds and loads libclnn, and gives every generated prototype its types.

Where the library is looked for, in order:
  1. $CLNN_LIBRARY, a path to libclnn.so.0 (the in-tree tests set it to the
     build tree's copy; also handy for trying a build without installing);
  2. the path `cmake --install` wrote into clnn/_install.py, relative to the
     package (so an installed tree may be moved as a whole).
LD_LIBRARY_PATH plays no part in either."""
import ctypes
import os

from . import _capi


def _find():
    env = os.environ.get("CLNN_LIBRARY")
    if env:
        return env
    try:
        from . import _install  # written by cmake --install
    except ImportError:
        raise OSError("clnn: libclnn not found: this copy of the package was not installed by "
                      "`cmake --install` (which records where libclnn is); set CLNN_LIBRARY to the "
                      "path of libclnn.so.0") from None
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), _install.LIBRARY))


def _load():
    path = _find()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise OSError(f"clnn: cannot load libclnn from {path}: {e}") from None
    missing = []
    for name, (restype, _rkind, params, _header) in _capi.FUNCTIONS.items():
        try:
            f = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        f.restype = restype
        f.argtypes = [p[2] for p in params if p[1] != "varargs"]
    return lib, path, missing


LIB, PATH, MISSING = _load()


def version():
    """The version of the libclnn actually loaded ("MAJOR.MINOR.PATCH")."""
    return LIB.clnn_version().decode()


def last_error(ctx_handle=None):
    """clnn_last_error: the context's last message, or the calling thread's."""
    return LIB.clnn_last_error(ctx_handle).decode("utf-8", "replace")
