"""The bindings against the headers and the library: a C function, struct or
enum added to include/clnn without rerunning tools/gen_python_bindings.py
fails here, and so does a struct layout ctypes gets wrong."""
import ctypes
import os
import shutil
import subprocess
import sys

import pytest

import clnn
from clnn import _capi, api

SOURCE = os.environ.get("CLNN_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = os.path.join(SOURCE, "tools", "gen_python_bindings.py")


def run_generator(*args):
    return subprocess.run([sys.executable, GENERATOR, *args], capture_output=True, text=True)


def test_generated_file_is_up_to_date():
    r = run_generator("--check")
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_new_function_without_bindings_fails_the_check(tmp_path):
    inc = tmp_path / "clnn"
    shutil.copytree(os.path.join(SOURCE, "include", "clnn"), inc)
    with open(inc / "losses.h", "a") as f:
        f.write("CLNN_API clnn_status clnn_brand_new_loss(clnn_context *ctx, const clnn_tensor *x, float k,\n"
                "                                         clnn_tensor *loss, clnn_tensor *dx);\n")
    r = run_generator("--check", "--include", str(inc))
    assert r.returncode != 0 and "run tools/gen_python_bindings.py" in r.stderr
    out = tmp_path / "_capi.py"
    assert run_generator("--include", str(inc), "--output", str(out)).returncode == 0
    assert "'clnn_brand_new_loss'" in out.read_text()


def test_a_declaration_of_an_unknown_form_fails_the_generator(tmp_path):
    inc = tmp_path / "clnn"
    shutil.copytree(os.path.join(SOURCE, "include", "clnn"), inc)
    with open(inc / "losses.h", "a") as f:
        f.write("union clnn_odd { int a; float b; };\n")
    r = run_generator("--include", str(inc), "--output", str(tmp_path / "x.py"))
    assert r.returncode != 0 and "unknown form" in r.stderr


def test_exports_match_the_headers():
    nm = shutil.which("nm")
    if nm is None:
        pytest.fail("nm (binutils) is needed to list libclnn's exports")
    out = subprocess.run([nm, "-D", "--defined-only", clnn.library_path], capture_output=True, text=True,
                         check=True).stdout
    exported = {line.split()[-1] for line in out.splitlines() if " T " in line and " clnn_" in line}
    exported = {s.split("@")[0] for s in exported}
    assert exported == set(_capi.FUNCTIONS), (
        f"exported, not in the headers: {sorted(exported - set(_capi.FUNCTIONS))}; "
        f"in the headers, not exported: {sorted(set(_capi.FUNCTIONS) - exported)}")


def test_layouts_match_the_c_compiler(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.fail("a C compiler is needed to check the struct layouts")
    src, exe = tmp_path / "layout.c", tmp_path / "layout"
    assert run_generator("--layout-c", str(src)).returncode == 0
    subprocess.run([cc, "-std=c11", "-I", os.path.join(SOURCE, "include"), str(src), "-o", str(exe)], check=True)
    facts = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    members = {_capi.ENUM_PREFIXES[c] + m.name: m.value for c, e in _capi.ENUMS.items() for m in e}
    checked = 0
    for line in facts:
        what, name, value = line.split()
        if what == "sizeof":
            assert ctypes.sizeof(_capi.STRUCTS[name]) == int(value), name
        elif what == "offsetof":
            struct, field = name.split(".")
            assert getattr(_capi.STRUCTS[struct], field).offset == int(value), name
        elif what == "enum":
            assert members[name] == int(value), name
        elif what == "const":
            assert float(_capi.CONSTANTS[name]) == pytest.approx(float(value)), name
        checked += 1
    assert checked > 200


def test_enums_are_python_enums():
    assert clnn.Reduction.MEAN == 0 and clnn.Reduction["NONE"] == 2
    assert clnn.InfonceMode.NT_XENT == 2 and clnn.Status.ERR_SHAPE == -2
    assert {"Activation", "RegKind", "Optimizer", "TuneMode", "Dtype"} <= {e.__name__ for e in _capi.ENUMS.values()}


def test_every_parameter_kind_has_a_conversion():
    kinds = {p[1] for f in _capi.FUNCTIONS.values() for p in f[2]}
    src = open(api.__file__).read()
    assert all(f'"{k}"' in src for k in kinds), sorted(k for k in kinds if f'"{k}"' not in src)
