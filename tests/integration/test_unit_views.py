"""A compilation unit read alone (daemon/cuslice.c) is the unit libdwfl
finds, with the same DIEs, scopes and lines, for every function of the
programs the other tests crash: C and C++ at -O0 and -O2, Rust from each
toolchain here (whose standard library has units that start at the same
address, where only libdwfl's own search path says which one it takes).
The checking is the unit test test_cuslice, pointed at these programs."""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, PROGRAMS

CHECK = os.path.join(BUILD, "tests", "unit", "test_cuslice")


def check(paths):
    env = dict(os.environ, BOOBOO_CUSLICE_FILES=":".join(paths), BOOBOO_CUSLICE_VERBOSE="1")
    p = subprocess.run([CHECK], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout + p.stderr


def test_c_and_cpp_units(programs):
    if not os.path.exists(CHECK):
        pytest.skip("no unit tests in this build")
    paths = [programs.build(src, (opt,)) for src in ("crash_null.c", "locals.c", "tailcall.c",
                                                     "locals_cpp.cpp", "stl_values.cpp")
             for opt in ("-O0", "-O2")]
    out = check(paths)
    assert "left to libdwfl" in out


@pytest.mark.parametrize("rustc", ["/usr/bin/rustc", os.path.expanduser("~/.cargo/bin/rustc")],
                         ids=["debian", "rustup"])
def test_rust_units(tmp_path, rustc):
    if not os.path.exists(CHECK):
        pytest.skip("no unit tests in this build")
    if not shutil.which(rustc):
        pytest.skip(f"no {rustc} here")
    paths = []
    for src in ("rust_values", "rust_crash"):
        for opt in ("0", "2"):
            prog = str(tmp_path / f"{src}_O{opt}")
            subprocess.run([rustc, "-g", "-C", f"opt-level={opt}", "-C", "debug-assertions=off",
                            "-o", prog, os.path.join(PROGRAMS, f"{src}.rs")],
                           check=True, capture_output=True)
            paths.append(prog)
    check(paths)
