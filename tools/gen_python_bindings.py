#!/usr/bin/env python3
"""Generates python/clnn/_capi.py, the ctypes description of libclnn, from
include/clnn/*.h (mpi.h aside: libclnn_mpi is a separate library).

    tools/gen_python_bindings.py                 rewrite python/clnn/_capi.py
    tools/gen_python_bindings.py --check         exit 1 if it is out of date
    tools/gen_python_bindings.py --layout-c F    write a C program that prints
                                                 every struct's layout, enum
                                                 value and constant (the
                                                 tests compare it with ctypes)

The headers follow a few fixed forms (typedef enum / struct, CLNN_API
prototypes, numeric #defines); anything else left over after parsing is an
error, so a declaration of a new shape fails here instead of being skipped.
Every parameter is classified into a "kind" that python/clnn/api.py knows
how to convert; a parameter type outside those kinds is an error too.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = os.path.join(ROOT, "include", "clnn")
OUTPUT = os.path.join(ROOT, "python", "clnn", "_capi.py")
SKIP_HEADERS = {"mpi.h"}  # libclnn_mpi's header: not part of libclnn

SCALARS = {
    "float": "C.c_float", "double": "C.c_double", "int": "C.c_int", "unsigned": "C.c_uint",
    "unsigned long": "C.c_ulong", "unsigned long long": "C.c_ulonglong", "size_t": "C.c_size_t",
    "int32_t": "C.c_int32", "uint32_t": "C.c_uint32", "uint64_t": "C.c_uint64", "char": "C.c_char",
}
CL_HANDLES = {"cl_context", "cl_command_queue", "cl_device_id", "cl_mem"}
OPAQUE = {"clnn_context", "clnn_tensor"}


class ParseError(Exception):
    pass


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def header_order():
    """clnn.h first, then the headers in the order clnn.h includes them."""
    main = open(os.path.join(INCLUDE, "clnn.h"), encoding="utf-8").read()
    order = ["clnn.h"] + re.findall(r'#include "clnn/(\w+\.h)"', main)
    rest = sorted(f for f in os.listdir(INCLUDE) if f.endswith(".h") and f not in order and f not in SKIP_HEADERS)
    return [h for h in order if h not in SKIP_HEADERS] + rest


class Model:
    def __init__(self):
        self.constants = {}   # name -> python literal text
        self.enums = {}       # c name -> [(member, value)]
        self.structs = {}     # c name -> [(field, ctype expr)]
        self.struct_fields = {}  # c name -> [(field, base C type, dims, is a pointer)]
        self.opaque = set(OPAQUE)
        self.functions = {}   # name -> (restype expr, ret kind, [(param, kind, ctype expr, c type)], header)
        self.enum_values = {}  # member -> int


def eval_int(expr, model):
    expr = expr.strip()
    if expr in model.constants:
        return int(model.constants[expr])
    if expr in model.enum_values:
        return model.enum_values[expr]
    if expr == "INT32_MIN":
        return -2 ** 31
    m = re.fullmatch(r"(-?)(0x[0-9a-fA-F]+|\d+)[uUlL]*", expr)
    if not m:
        raise ParseError(f"cannot evaluate '{expr}'")
    return int(m.group(1) + m.group(2), 0)


def parse_define(name, value, model):
    value = value.strip()
    if name in ("CL_TARGET_OPENCL_VERSION", "CLNN_API") or re.fullmatch(r"CLNN_\w+_H", name) or not value:
        return
    if value.startswith("__attribute__"):
        return
    if re.fullmatch(r"-?\d+\.\d*([eE][-+]?\d+)?|-?\d+[eE][-+]?\d+", value):
        model.constants[name] = repr(float(value))
    else:
        model.constants[name] = str(eval_int(value, model))


def parse_enum(name, body, model):
    members, nxt = [], 0
    for item in [i.strip() for i in body.split(",") if i.strip()]:
        if "=" in item:
            member, value = (s.strip() for s in item.split("=", 1))
            nxt = eval_int(value, model)
        else:
            member = item
        members.append((member, nxt))
        model.enum_values[member] = nxt
        nxt += 1
    model.enums[name] = members


def scalar_ctype(ctype, model):
    ctype = ctype.replace("const ", "").strip()
    if ctype in SCALARS:
        return SCALARS[ctype]
    if ctype in model.enums:
        return "C.c_int"
    if ctype in model.structs:
        return ctype
    raise ParseError(f"unknown type '{ctype}'")


def parse_struct(name, body, model):
    fields, cfields = [], []
    for decl in [d.strip() for d in body.split(";") if d.strip()]:
        fp = re.fullmatch(r"(\w+)\s*\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)", decl, flags=re.S)
        if fp:  # a function pointer field: void (*progress)(void *user, size_t done, size_t total)
            args = [param_ctype(p, model) for p in split_params(fp.group(3))]
            ret = "None" if fp.group(1) == "void" else scalar_ctype(fp.group(1), model)
            fields.append((fp.group(2), f"C.CFUNCTYPE({', '.join([ret] + args)})"))
            cfields.append((fp.group(2), "fnptr", [], True))
            continue
        pieces = [d.strip() for d in decl.split(",")]
        m = re.fullmatch(r"(.*[\s*])(\w+\s*(?:\[[^\]]+\]\s*)*)", pieces[0], flags=re.S)
        if not m:
            raise ParseError(f"struct {name}: cannot parse field '{decl}'")
        base = " ".join(m.group(1).split())
        pointer = base.endswith("*")
        base = base.rstrip("* ").strip()
        for i, d in enumerate([m.group(2)] + pieces[1:]):
            dm = re.fullmatch(r"(\*?)\s*(\w+)\s*((?:\[[^\]]+\]\s*)*)", d)
            if not dm:
                raise ParseError(f"struct {name}: cannot parse declarator '{d}'")
            if i == 0 and pointer:
                d = "*" + d
                dm = re.fullmatch(r"(\*?)\s*(\w+)\s*((?:\[[^\]]+\]\s*)*)", d)
            dims = [eval_int(x, model) for x in re.findall(r"\[([^\]]+)\]", dm.group(3))]
            if dm.group(1):
                plain = base.replace("const ", "").strip()
                if plain == "char":
                    ctype = "C.c_char_p"
                elif plain in model.opaque or plain == "void" or plain in model.structs:
                    # handles (clnn_param's tensors), user data, and an optional options struct
                    # (clnn_margin_options' weights: None is NULL; pass ctypes.addressof(...) to set it)
                    ctype = "C.c_void_p"
                else:
                    raise ParseError(f"struct {name}: pointer field '{d}' of type {base}")
            else:
                ctype = scalar_ctype(base, model)
            for n in reversed(dims):
                ctype = f"({ctype} * {n})"
            fields.append((dm.group(2), ctype))
            cfields.append((dm.group(2), base, dims, bool(dm.group(1))))
    model.structs[name] = fields
    model.struct_fields[name] = cfields


def split_params(text):
    text = " ".join(text.split())
    return [] if text in ("", "void") else [p.strip() for p in text.split(",")]


def param_ctype(p, model):
    """The ctypes expression of a parameter declaration (kind not needed)."""
    return classify(p, model, 0)[2]


def classify(p, model, index):
    """(name, kind, ctypes expression, normalised C type) of one parameter."""
    if p == "...":
        return ("args", "varargs", None, "...")
    m = re.fullmatch(r"(.*?)(\w+)\s*((?:\[[^\]]*\]\s*)*)", p)
    if not m:
        raise ParseError(f"cannot parse parameter '{p}'")
    ctype, name, arr = " ".join(m.group(1).replace("*", " * ").split()), m.group(2), m.group(3)
    if arr:  # T name[N]: an array, const or not
        base = ctype.replace("const", "").strip()
        kind = "array_in" if ctype.startswith("const") else "array_out"
        dims = "".join(f"[{eval_int(x, model)}]" for x in re.findall(r"\[([^\]]*)\]", arr))
        return (name, kind, f"C.POINTER({scalar_ctype(base, model)})", f"{ctype} {dims}")
    const = ctype.startswith("const ")
    core = ctype.replace("const", "").split()
    stars = core.count("*")
    base = " ".join(w for w in core if w != "*")
    tail_const = ctype.endswith("* const *")
    key = (base, stars)
    if key == ("clnn_context", 1):
        return (name, "context", "C.c_void_p", ctype)
    if key == ("clnn_context", 2):
        return (name, "context_out", "C.POINTER(C.c_void_p)", ctype)
    if key == ("clnn_tensor", 1):
        return (name, "tensor" if const else "tensor_mut", "C.c_void_p", ctype)
    if key == ("clnn_tensor", 2) and tail_const:
        return (name, "tensor_list" if const else "tensor_list_mut", "C.POINTER(C.c_void_p)", ctype)
    if key == ("clnn_tensor", 2):
        return (name, "tensor_out", "C.POINTER(C.c_void_p)", ctype)
    if base in model.opaque and stars == 1:  # another handle (clnn_optimizer_state): an int in Python
        return (name, "handle", "C.c_void_p", ctype)
    if base in model.opaque and stars == 2:
        return (name, "handle_out", "C.POINTER(C.c_void_p)", ctype)
    if key == ("char", 1):
        return (name, "string" if const else "char_buf", "C.c_char_p", ctype)
    if key == ("char", 2) and const and tail_const:
        return (name, "string_list", "C.POINTER(C.c_char_p)", ctype)
    if key == ("void", 1):
        return (name, "bytes_in" if const else "bytes_out", "C.c_void_p", ctype)
    if base in CL_HANDLES and stars == 0:
        return (name, "cl_handle", "C.c_void_p", ctype)
    if base in CL_HANDLES and stars == 1:
        return (name, "cl_handle_out", "C.POINTER(C.c_void_p)", ctype)
    if base in model.structs and stars == 0:
        return (name, "struct_value", base, ctype)
    if base in model.structs and stars == 1:
        if const:
            kind = "options" if f"{base}_init" in model.functions else "struct_in"
        else:
            kind = "struct_out"
        return (name, kind, f"C.POINTER({base})", ctype)
    if stars == 0:
        kind = "enum" if base in model.enums else "scalar"
        return (name, kind, scalar_ctype(base, model), ctype)
    if stars == 1:
        return (name, "array_in" if const else "scalar_out", f"C.POINTER({scalar_ctype(base, model)})", ctype)
    raise ParseError(f"parameter '{p}': no kind for type '{ctype}'")


def return_kind(ret, model):
    ret = " ".join(ret.replace("*", " * ").split())
    if ret == "clnn_status":
        return "C.c_int", "status"
    if ret == "void":
        return "None", "void"
    if ret == "const char *":
        return "C.c_char_p", "string"
    if ret in ("clnn_context *", "cl_mem"):
        return "C.c_void_p", "handle"
    if ret in model.enums:
        return "C.c_int", "enum:" + ret
    if ret in SCALARS:
        return SCALARS[ret], "scalar"
    raise ParseError(f"unknown return type '{ret}'")


def parse_header(fname, model):
    text = strip_comments(open(os.path.join(INCLUDE, fname), encoding="utf-8").read())
    # preprocessor lines: numeric #defines are kept, the rest (guards, includes) dropped
    lines, defines = [], []
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("#"):
            d = re.match(r"#\s*define\s+(\w+)(?:\s+(.*))?$", s)
            if d:
                defines.append((d.group(1), d.group(2) or ""))
            continue
        lines.append(line)
    text = "\n".join(lines)

    def enum(m):
        parse_enum(m.group(1), m.group(2), model)
        return ""

    def struct(m):
        parse_struct(m.group(1), m.group(2), model)
        return ""

    def opaque(m):
        model.opaque.add(m.group(1))
        return ""

    def function(m):
        ret, name, params = m.group(1), m.group(2), m.group(3)
        restype, rkind = return_kind(ret, model)
        model.functions[name] = (restype, rkind, split_params(params), fname)
        return ""

    text = re.sub(r"typedef\s+enum\s+(\w+)\s*\{(.*?)\}\s*\1\s*;", enum, text, flags=re.S)
    for name, value in defines:  # after the enums (CLNN_ACT_LAST names one), before the structs
        parse_define(name, value, model)
    # structs and functions interleave (an options struct, then its _init), so
    # functions are recorded first and classified once every struct is known
    text = re.sub(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*\1\s*;", struct, text, flags=re.S)
    text = re.sub(r"typedef\s+struct\s+(\w+)\s+\1\s*;", opaque, text)
    text = re.sub(r"CLNN_API\s+((?:const\s+)?\w+(?:\s*\*)?)\s*(clnn_\w+)\s*\(([^;]*?)\)\s*"
                  r"(?:__attribute__\s*\(\(.*?\)\))?\s*;", function, text, flags=re.S)
    text = re.sub(r'extern\s+"C"\s*\{', "", text)
    leftover = text.replace("}", "").strip()
    if leftover:
        raise ParseError(f"{fname}: declarations of an unknown form: {leftover[:300]!r}")


def build_model():
    model = Model()
    headers = header_order()
    for h in headers:
        parse_header(h, model)
    for name, (restype, rkind, params, fname) in list(model.functions.items()):
        classified = [classify(p, model, i) for i, p in enumerate(params)]
        model.functions[name] = (restype, rkind, classified, fname)
    return model, headers


def camel(cname):
    return "".join(w.capitalize() for w in cname[len("clnn_"):].split("_"))


def enum_prefix(members):
    names = [m for m, _ in members]
    prefix = os.path.commonprefix(names)
    prefix = prefix[: prefix.rfind("_") + 1]
    if any(not n[len(prefix):] or n[len(prefix)].isdigit() for n in names):
        prefix = "CLNN_"
    return prefix


def render(model, headers):
    out = ['"""ctypes description of libclnn, generated by tools/gen_python_bindings.py from',
           f'include/clnn/{{{",".join(headers)}}}. Do not edit: run tools/gen_python_bindings.py."""',
           "# fmt: off", "import ctypes as C", "import enum", "", "HEADERS = " + repr(tuple(headers)), "",
           "CONSTANTS = {"]
    out += [f"    {k!r}: {v}," for k, v in model.constants.items()]
    out += ["}", ""]
    for cname, members in model.enums.items():
        prefix = enum_prefix(members)
        out.append(f"class {camel(cname)}(enum.IntEnum):")
        out.append(f'    """{cname} (members without the {prefix} prefix)."""')
        out += [f"    {m[len(prefix):]} = {v}" for m, v in members]
        out.append("")
    out.append("ENUMS = {" + ", ".join(f"{c!r}: {camel(c)}" for c in model.enums) + "}")
    out.append("ENUM_PREFIXES = {" + ", ".join(f"{c!r}: {enum_prefix(m)!r}" for c, m in model.enums.items()) + "}")
    out.append("")
    for cname, fields in model.structs.items():
        out.append(f"class {cname}(C.Structure):")
        out.append("    _fields_ = [")
        out += [f"        ({f!r}, {t})," for f, t in fields]
        out.append("    ]")
        out.append("")
    out.append("STRUCTS = {" + ", ".join(f"{c!r}: {c}" for c in model.structs) + "}")
    out.append("# struct fields of an enum type: struct -> {field: enum}")
    out.append("FIELD_ENUMS = {")
    for cname, fields in model.struct_fields.items():
        enums = {f: base for f, base, dims, ptr in fields if base in model.enums and not dims and not ptr}
        if enums:
            out.append(f"    {cname!r}: {enums!r},")
    out.append("}")
    out.append("# struct fields that are clnn_tensor pointers: struct -> {field: written by the call (not const)}")
    out.append("FIELD_TENSORS = {")
    for cname, fields in model.struct_fields.items():
        tensors = {f: not base.startswith("const") for f, base, dims, ptr in fields if ptr and
                   base.replace("const", "").strip() == "clnn_tensor"}
        if tensors:
            out.append(f"    {cname!r}: {tensors!r},")
    out.append("}")
    out.append("")
    out.append("# name: (restype, return kind, ((parameter, kind, argtype, C type), ...), header)")
    out.append("FUNCTIONS = {")
    for name, (restype, rkind, params, fname) in model.functions.items():
        out.append(f"    {name!r}: ({restype}, {rkind!r}, (")
        for pname, kind, ctype, ctext in params:
            out.append(f"        ({pname!r}, {kind!r}, {ctype or 'None'}, {ctext!r}),")
        out.append(f"    ), {fname!r}),")
    out.append("}")
    return "\n".join(out) + "\n"


def render_layout_c(model, headers):
    """A C program printing what ctypes must agree with, one fact per line."""
    out = ["/* generated by tools/gen_python_bindings.py --layout-c */", "#include <stddef.h>", "#include <stdio.h>",
           '#include "clnn/clnn.h"', "int main(void)", "{"]
    for cname, fields in model.struct_fields.items():
        out.append(f'    printf("sizeof {cname} %zu\\n", sizeof({cname}));')
        for f, _, _, _ in fields:
            out.append(f'    printf("offsetof {cname}.{f} %zu\\n", offsetof({cname}, {f}));')
    for cname, members in model.enums.items():
        for m, _ in members:
            out.append(f'    printf("enum {m} %lld\\n", (long long){m});')
    for k, v in model.constants.items():
        if "." in v or "e" in v:
            out.append(f'    printf("const {k} %.17g\\n", (double){k});')
        else:
            out.append(f'    printf("const {k} %lld\\n", (long long){k});')
    out += ["    return 0;", "}"]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 if python/clnn/_capi.py is out of date")
    ap.add_argument("--output", default=OUTPUT, help="where to write (default python/clnn/_capi.py)")
    ap.add_argument("--layout-c", metavar="FILE", help="write the layout-printing C program to FILE")
    ap.add_argument("--include", metavar="DIR", help="read the headers from DIR (default include/clnn)")
    a = ap.parse_args()
    if a.include:
        global INCLUDE
        INCLUDE = a.include
    try:
        model, headers = build_model()
    except ParseError as e:
        sys.exit(f"gen_python_bindings: {e}")
    if a.layout_c:
        with open(a.layout_c, "w", encoding="utf-8") as f:
            f.write(render_layout_c(model, headers))
        return
    text = render(model, headers)
    if a.check:
        current = open(a.output, encoding="utf-8").read() if os.path.exists(a.output) else ""
        if current != text:
            sys.exit(f"{os.path.relpath(a.output, ROOT)} is out of date with include/clnn/*.h: "
                     "run tools/gen_python_bindings.py and commit the result")
        print(f"{len(model.functions)} functions, {len(model.structs)} structs, {len(model.enums)} enums: up to date")
        return
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(a.output, ROOT)}: {len(model.functions)} functions, "
          f"{len(model.structs)} structs, {len(model.enums)} enums")


if __name__ == "__main__":
    main()
