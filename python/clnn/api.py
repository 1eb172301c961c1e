"""Every function of libclnn, callable from Python with keyword arguments.

clnn.api.FUNCTIONS maps each C name without its clnn_ prefix to a Function
built from the generated description (clnn/_capi.py), so a C function added
to the headers is here as soon as tools/gen_python_bindings.py is rerun.
Conversions, by the kind of each C parameter:
  tensor (const clnn_tensor *)   a clnn.Tensor, a pyopencl.array.Array (wrapped,
                                 no copy), a numpy array or anything np.asarray
                                 takes (uploaded for the call), or None (NULL)
  tensor_mut (clnn_tensor *)     as tensor; a numpy array (float32/int32,
                                 C-contiguous, writable) is uploaded and the
                                 result written back into it after the call
  tensor lists                   a sequence of those
  options (const clnn_X_options *) an options struct made by its _init, with
                                 each field settable by keyword (defaults:
                                 the C _init's values; a field whose name
                                 clashes with a parameter is <param>_<field>);
                                 or pass the struct or a dict as the parameter
  enum                           the clnn enum, its int, or its member name
                                 ("mean", "nt_xent", any case)
  outputs (T *, S *, char *, cl handles *) made here and returned
  size_t counts next to a list   its length when not given
A call returns its outputs: None, one value, or a tuple in C order; a
negative status raises the clnn.Error subclass with clnn's message."""
import ctypes

import numpy as np

from . import _capi
from ._check import check
from ._lib import LIB, MISSING
from ._opencl import is_pyopencl_array
from .context import Context
from .tensor import Tensor, host_array

_NO_VALUE = object()  # a parameter the caller left out (None is NULL)


def _absent(v):
    return v is None or v is _NO_VALUE



class _Call:
    """The temporaries of one call: kept alive until it returns, then freed;
    numpy outputs written back."""

    def __init__(self, context):
        self.context = context
        self.temps = []
        self.writebacks = []
        self.keep = []

    def tensor(self, value, mutable, pname, fname):
        if value is None:
            return None
        if isinstance(value, Tensor):
            return value.handle
        ctx = self._need_context(value, pname, fname)
        if is_pyopencl_array(value):
            t = Tensor.from_pyopencl(ctx, value)
            self.temps.append(t)
            return t.handle
        if mutable:
            if not (isinstance(value, np.ndarray) and value.dtype in (np.float32, np.int32)
                    and value.flags.c_contiguous and value.flags.writeable):
                raise TypeError(f"clnn_{fname}: {pname} is written by the call: pass a clnn.Tensor, a PyOpenCL "
                                "array or a writable C-contiguous float32/int32 numpy array, not "
                                f"{type(value).__name__}" + (f" of {value.dtype}" if hasattr(value, "dtype") else ""))
            t = Tensor.from_numpy(ctx, value)
            self.writebacks.append((t, value))
        else:
            t = Tensor.from_numpy(ctx, host_array(value))
        self.temps.append(t)
        return t.handle

    def _need_context(self, value, pname, fname):
        if self.context is None:
            how = ("wrap it first: clnn.Tensor.from_pyopencl(ctx, array)" if is_pyopencl_array(value)
                   else "make it a clnn.Tensor first: ctx.from_numpy(array)")
            raise TypeError(f"clnn_{fname} takes no context, so {pname} must be a clnn.Tensor: {how}")
        return self.context

    def finish(self, ok):
        try:
            if ok:
                for t, array in self.writebacks:
                    array[...] = t.numpy().reshape(array.shape)
        finally:
            for t in self.temps:
                t.release()


class Function:
    """One C function: call it with the C parameters in order or by name."""

    def __init__(self, cname, spec):
        self.cname = cname
        self.name = cname[len("clnn_"):]
        self.restype, self.rkind, params, self.header = spec
        self.params = [p for p in params if p[1] != "varargs"]
        self.varargs = len(self.params) != len(params)
        self.takes_context = bool(self.params) and self.params[0][1] == "context"
        self.implied = _implied_counts(self.params)
        # (count, what it counts): the implied ones, and a count just before an
        # output array (clnn_permutation_sample's n, perm)
        self._counted = list(self.implied.items()) + [
            (i, i + 1) for i, p in enumerate(self.params[:-1])
            if p[1] == "scalar" and p[2] is ctypes.c_size_t and self.params[i + 1][1] == "scalar_out"]
        # the keyword of each options field: its name, or <param>_<field> where that
        # name is also a parameter's or another options parameter's field
        self._option_fields = {}
        options = [(p[0], [f for f, _ in p[2]._type_._fields_ if f != "size"]) for p in self.params
                   if p[1] == "options"]
        taken = {p[0] for p in self.params}
        for pname, fields in options:
            others = {f for other, fs in options if other != pname for f in fs}
            self._option_fields[pname] = {(f"{pname}_{f}" if f in taken or f in others else f): f for f in fields}
        self.__name__ = self.name

    @property
    def __doc__(self):
        params = ", ".join(f"{c} {p}" for p, _, _, c in self.params)
        lines = [f"clnn_{self.name}({params}) from include/clnn/{self.header}."]
        for pname, fields in self._option_fields.items():
            try:
                defaults = self.option_defaults(pname)
            except TypeError:  # the defaults need an argument (clnn_margin_options_init's kind)
                lines.append(f"{pname} fields (keyword): " + ", ".join(fields))
                continue
            lines.append(f"{pname} fields (keyword, C defaults): " +
                         ", ".join(f"{k}={_show(defaults[f])}" for k, f in fields.items()))
        return "\n".join(lines)

    def option_defaults(self, pname, **init_args):
        """The values the C _init gives to the options struct of parameter pname."""
        s = self._init_options(pname, init_args)
        enums = _capi.FIELD_ENUMS.get(type(s).__name__, {})
        return {f: _capi.ENUMS[enums[f]](getattr(s, f)) if f in enums else getattr(s, f) for f, _ in s._fields_}

    def _init_options(self, pname, init_args):
        ctype = next(p[2] for p in self.params if p[0] == pname)._type_
        s = ctype()
        init = FUNCTIONS[ctype.__name__[len("clnn_"):] + "_init"]
        extra = [p[0] for p in init.params[1:]]
        missing = [e for e in extra if e not in init_args]
        if missing:
            # clnn_margin_options_init(opt, kind): the defaults depend on the kind
            raise TypeError(f"clnn_{self.name}: {pname} needs {', '.join(missing)} to set up its defaults")
        check_status = getattr(LIB, init.cname)(ctypes.byref(s), *[_enum_or_scalar(init.params[i + 1], init_args[e])
                                                                   for i, e in enumerate(extra)])
        if init.rkind == "status":
            check(check_status, init.cname)
        return s

    def bind(self, context):
        f = self

        def bound(*args, **kwargs):
            return f(context, *args, **kwargs)
        bound.__doc__, bound.__name__ = self.__doc__, self.name
        return bound

    def __call__(self, *args, **kwargs):
        if self.cname in MISSING:
            raise NotImplementedError(f"{self.cname} is in the headers but not in the loaded libclnn "
                                      f"(an older library?)")
        values = self._bind(args, kwargs)
        context = None
        if self.takes_context:
            context = values.get(self.params[0][0])
        call = _Call(context if isinstance(context, Context) else None)
        ok = False
        try:
            cargs, outputs = self._convert(values, call)
            extra = []
            if self.varargs:  # clnn_set_last_error(ctx, status, fmt, ...): the message as one "%s"
                extra = [values.get("message", "").encode()]
            result = getattr(LIB, self.cname)(*cargs, *extra)
            if self.rkind == "status":
                check(result, self.cname)
                result = None
            ok = True
        finally:
            call.finish(ok)
        outs = [o() for o in outputs]
        if self.rkind == "string":
            outs.insert(0, result.decode("utf-8", "replace"))
        elif self.rkind.startswith("enum:"):
            outs.insert(0, _capi.ENUMS[self.rkind[5:]](result))
        elif self.rkind in ("scalar", "handle"):
            outs.insert(0, result)
        return None if not outs else outs[0] if len(outs) == 1 else tuple(outs)

    def _bind(self, args, kwargs):
        values = {}
        # the counts implied by a list beside them are keyword-only (given or not)
        positional = [p for i, p in enumerate(self.params) if i not in self.implied]
        if len(args) > len(positional):
            raise TypeError(f"clnn_{self.name} takes at most {len(positional)} positional arguments "
                            f"({len(args)} given)")
        for (pname, *_), a in zip(positional, args):
            values[pname] = a
        field_names = {k for fields in self._option_fields.values() for k in fields}
        known = {p[0] for p in self.params} | field_names | ({"message"} if self.varargs else set())
        for k, v in kwargs.items():
            if k not in known:
                raise TypeError(f"clnn_{self.name}: unexpected argument {k!r} (parameters: "
                                f"{', '.join(sorted(known))})")
            if k in values:
                raise TypeError(f"clnn_{self.name}: {k!r} given twice")
            values[k] = v
        return values

    def _convert(self, values, call):
        cargs, outputs = [], []
        ps = self.params
        self._check_counts(values)
        for i, (pname, kind, ctype, ctext) in enumerate(ps):
            v = values.get(pname, _NO_VALUE)
            if kind == "scalar" and v is _NO_VALUE:
                v = self._implied_count(i, values)
            if kind == "context":
                cargs.append(None if _absent(v) else v.handle)
            elif kind in ("tensor", "tensor_mut"):
                cargs.append(call.tensor(None if v is _NO_VALUE else v, kind == "tensor_mut", pname, self.name))
            elif kind in ("tensor_list", "tensor_list_mut"):
                items = [] if _absent(v) else list(v)
                handles = [call.tensor(t, kind == "tensor_list_mut", pname, self.name) for t in items]
                cargs.append((ctypes.c_void_p * max(len(handles), 1))(*handles) if items else None)
            elif kind in ("tensor_out", "context_out"):
                out = ctypes.c_void_p()
                cargs.append(ctypes.byref(out))
                outputs.append(self._handle_output(kind, out, values))
            elif kind == "options":
                cargs.append(ctypes.byref(self._options(pname, v, values, call)))
            elif kind in ("struct_in", "struct_value"):
                cargs.append(self._struct_in(ctype, kind, v, pname, call))
            elif kind == "struct_out":
                cargs.append(self._struct_out(ctype, v, outputs))
            elif kind == "enum":
                self._require(v, pname)
                cargs.append(_enum_or_scalar(ps[i], v))
            elif kind == "scalar":
                self._require(v, pname)
                cargs.append(v)
            elif kind == "scalar_out":
                cargs.append(self._scalar_out(ctype, ctext, v, outputs))
            elif kind == "array_in":
                self._require(v, pname)
                cargs.append(None if v is None else _array(ctype._type_, v))
            elif kind == "array_out":
                n = int(ctext[ctext.index("[") + 1:ctext.index("]")])
                arr = (ctype._type_ * n)()
                cargs.append(arr)
                outputs.append(lambda arr=arr: list(arr))
            elif kind == "string":
                cargs.append(None if _absent(v) else str(v).encode())
            elif kind == "string_list":
                items = [str(s).encode() for s in (v if not _absent(v) else [])]
                cargs.append((ctypes.c_char_p * max(len(items), 1))(*items))
            elif kind == "char_buf":
                buf = ctypes.create_string_buffer(_BUF_SIZE)
                cargs.append(buf)
                outputs.append(lambda buf=buf: buf.value.decode("utf-8", "replace"))
            elif kind in ("bytes_in", "bytes_out"):
                self._require(v, pname)
                a = np.ascontiguousarray(v) if kind == "bytes_in" else v
                if kind == "bytes_out" and not (isinstance(a, np.ndarray) and a.flags.c_contiguous
                                                and a.flags.writeable):
                    raise TypeError(f"clnn_{self.name}: {pname} must be a writable C-contiguous numpy array")
                call.keep.append(a)
                cargs.append(a.ctypes.data)
            elif kind == "cl_handle":
                self._require(v, pname)
                cargs.append(ctypes.c_void_p(getattr(v, "int_ptr", v)))
            elif kind == "handle":
                self._require(v, pname)
                cargs.append(None if v is None else ctypes.c_void_p(getattr(v, "value", v)))
            elif kind in ("cl_handle_out", "handle_out"):
                out = ctypes.c_void_p()
                cargs.append(ctypes.byref(out))
                outputs.append(lambda out=out: out.value)
            else:
                raise TypeError(f"clnn_{self.name}: parameter {pname} of kind {kind} has no conversion "
                                "(clnn/api.py is older than clnn/_capi.py)")
        return cargs, outputs

    def _check_counts(self, values):
        """The C function reads or writes as many entries as a count says: a
        list, buffer or output array shorter than its count would be run past
        its end, so lists counted together share one length and no count
        given exceeds what it counts."""
        lists = [p[0] for p in self.params if p[1] in ("tensor_list", "tensor_list_mut")]
        if any(self.params[j][0] in lists for j in self.implied.values()):
            lengths = {n: len(values[n]) for n in lists if not _absent(values.get(n, _NO_VALUE))}
            if len(set(lengths.values())) > 1:
                raise ValueError(f"clnn_{self.name}: the lists must have one length: "
                                 + ", ".join(f"{k} {v}" for k, v in lengths.items()))
        for i, j in self._counted:
            n, target = values.get(self.params[i][0], _NO_VALUE), values.get(self.params[j][0], _NO_VALUE)
            if _absent(n) or _absent(target):
                continue
            if self.params[j][1] in ("bytes_in", "bytes_out"):
                size, unit = np.asarray(target).nbytes, "bytes"
            elif isinstance(target, (list, tuple, np.ndarray, ctypes.Array)):
                size, unit = len(target), "entries"
            else:
                continue
            if n > size:
                raise ValueError(f"clnn_{self.name}: {self.params[i][0]} = {n} but {self.params[j][0]} has "
                                 f"{size} {unit}")

    def _require(self, v, pname):
        if v is _NO_VALUE:
            raise TypeError(f"clnn_{self.name}: missing argument {pname!r}")

    def _implied_count(self, i, values):
        """A count left out: the length of the list, buffer or array it counts."""
        j = self.implied.get(i)
        if j is None:
            return _NO_VALUE
        other = self.params[j]
        v = values.get(other[0], _NO_VALUE)
        if other[1] == "char_buf":
            return _BUF_SIZE
        if _absent(v):
            return 0
        if other[1] in ("bytes_in", "bytes_out"):
            return np.asarray(v).nbytes
        if other[1] == "struct_in" and not isinstance(v, (list, tuple, ctypes.Array)):
            return 1
        return len(v)

    def _handle_output(self, kind, out, values):
        if kind == "context_out":
            def make():
                ctx = Context.__new__(Context)
                ctx._setup(out.value, [v for v in values.values() if hasattr(v, "int_ptr")])
                return ctx
            return make
        ctx = values.get(self.params[0][0])
        return lambda: Tensor._from_handle(ctx, out.value, [v for v in values.values() if hasattr(v, "int_ptr")])

    def _options(self, pname, v, values, call):
        fields = self._option_fields[pname]
        given = {fields[k]: values[k] for k in fields if k in values and values[k] is not _NO_VALUE}
        if isinstance(v, ctypes.Structure):
            if given:
                raise TypeError(f"clnn_{self.name}: pass {pname} as a struct or its fields as keywords, not both")
            return v
        init_args = {}
        if not _absent(v):
            if not isinstance(v, dict):
                raise TypeError(f"clnn_{self.name}: {pname} is a {type(v).__name__}: pass a dict, the struct "
                                "or the fields as keywords")
            given = {**v, **given}
        ctype = next(p[2] for p in self.params if p[0] == pname)._type_
        init = FUNCTIONS[ctype.__name__[len("clnn_"):] + "_init"]
        for p in init.params[1:]:  # arguments of the _init itself (clnn_margin_options_init's kind)
            if p[0] in given:
                init_args[p[0]] = given[p[0]]
        s = self._init_options(pname, init_args)
        _fill_struct(s, given, call, self.name, pname)
        return s

    def _struct_in(self, ctype, kind, v, pname, call):
        stype = ctype if kind == "struct_value" else ctype._type_
        if _absent(v):
            if kind == "struct_value":
                self._require(_NO_VALUE, pname)
            return None
        if isinstance(v, ctypes.Array):
            return v
        if isinstance(v, (list, tuple)):  # several (clnn_param, clnn_reg lists)
            arr = (stype * max(len(v), 1))(*[_make_struct(stype, x, call, self.name, pname) for x in v])
            return arr
        s = _make_struct(stype, v, call, self.name, pname)
        return s if kind == "struct_value" else ctypes.byref(s)

    def _struct_out(self, ctype, v, outputs):
        if isinstance(v, ctypes.Array):  # caller's array of structs (clnn_tune_candidates' out)
            outputs.append(lambda v=v: v)
            return v
        if v is None:
            return None
        s = ctype._type_()
        outputs.append(lambda s=s: s)
        return ctypes.byref(s)

    def _scalar_out(self, ctype, ctext, v, outputs):
        if isinstance(v, np.ndarray):  # an array the C function fills (clnn_permutation_sample's perm)
            if v.dtype != np.dtype(ctype._type_) or not v.flags.c_contiguous or not v.flags.writeable:
                raise TypeError(f"clnn_{self.name}: the output array must be writable, C-contiguous "
                                f"{np.dtype(ctype._type_)}")
            return v.ctypes.data_as(ctype)
        if v is None:
            return None
        out = ctype._type_()
        base = ctext.replace("const", "").replace("*", "").strip()
        enum = _capi.ENUMS.get(base)
        outputs.append(lambda out=out: enum(out.value) if enum else out.value)
        return ctypes.byref(out)


_BUF_SIZE = 4096  # char buffers of outputs (a path, a configuration string)
_COUNTED_AFTER = {"tensor_list", "tensor_list_mut", "string_list", "struct_in", "array_in"}
_COUNTED_BEFORE = {"bytes_in", "bytes_out", "char_buf", "struct_out", "string_list"}


def _implied_counts(params):
    """{index of a size_t count: index of what it counts}: a count just before
    a list (concat's count, inputs), or just after a buffer, byte array or
    output array (upload's src, bytes; db_path's buf, len; candidates' out,
    cap). Two counts side by side (nlists, nparams) count a product: neither
    is implied."""
    def is_count(k):
        return 0 <= k < len(params) and params[k][1] == "scalar" and params[k][2] is ctypes.c_size_t
    out = {}
    for i in range(len(params)):
        if not is_count(i) or is_count(i - 1) or is_count(i + 1):
            continue
        if i + 1 < len(params) and params[i + 1][1] in _COUNTED_AFTER:
            out[i] = i + 1
        elif i > 0 and params[i - 1][1] in _COUNTED_BEFORE:
            out[i] = i - 1
    return out


_OUTPUT_KINDS = {"tensor_out", "context_out", "struct_out", "scalar_out", "array_out", "char_buf", "cl_handle_out",
                 "handle_out"}


def _show(v):
    """A default as the C initialiser wrote it: float32 values to 7 digits."""
    return f"{v:.7g}" if isinstance(v, float) else repr(v)


def _enum_or_scalar(param, v):
    base = param[3].replace("const", "").strip()
    enum = _capi.ENUMS.get(base)
    if enum is None:
        return v
    if isinstance(v, str):
        key = v.upper()
        if key not in enum.__members__:
            raise ValueError(f"{base}: no member {v!r} (one of {', '.join(m.lower() for m in enum.__members__)})")
        return int(enum[key])
    return int(enum(v))


def _array(ctype, v):
    items = list(np.asarray(v).reshape(-1).tolist())
    return (ctype * max(len(items), 1))(*items)


def _fill_struct(s, fields, call, fname, pname):
    """Sets fields of struct s from a dict: enum fields take names too, array
    fields sequences, clnn_tensor fields anything a tensor parameter takes
    (kept alive, and written back, by the call)."""
    types = dict(s._fields_)
    enums = _capi.FIELD_ENUMS.get(type(s).__name__, {})
    tensors = _capi.FIELD_TENSORS.get(type(s).__name__, {})
    for name, value in fields.items():
        if name not in types:
            raise TypeError(f"clnn_{fname}: {type(s).__name__} ({pname}) has no field {name!r}")
        if name in enums:
            value = _enum_or_scalar((name, "enum", None, enums[name]), value)
        elif name in tensors:
            value = call.tensor(value, tensors[name], f"{pname}.{name}", fname)
        elif isinstance(value, (list, tuple)) and issubclass(types[name], ctypes.Array):
            value = types[name](*value)
        setattr(s, name, value)


def _make_struct(stype, v, call, fname, pname):
    """A struct from a struct or a dict of its fields (clnn_param, clnn_reg, clnn_box)."""
    if isinstance(v, stype):
        return v
    if not isinstance(v, dict):
        raise TypeError(f"clnn_{fname}: {pname} items are {stype.__name__} or dicts, not {type(v).__name__}")
    s = stype()
    _fill_struct(s, v, call, fname, pname)
    return s


FUNCTIONS = {cname[len("clnn_"):]: Function(cname, spec) for cname, spec in _capi.FUNCTIONS.items()}


def __getattr__(name):
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise AttributeError(f"clnn.api has no function {name!r} (no clnn_{name} in include/clnn)") from None


def __dir__():
    return sorted(FUNCTIONS)
