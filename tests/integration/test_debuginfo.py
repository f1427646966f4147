"""Stripped binaries.  The debug info of a stripped program
is found by build-id under /usr/lib/debug/.build-id, through its
.gnu_debuglink (next to the binary or in .debug/), and from a real
debuginfod server named by the daemon's DEBUGINFOD_URLS environment
variable; in each case every in-app frame (function, file, line, the
inlined one included) equals gdb's on the unstripped twin of the same
binary.  Without any debug info, frames are named from the ELF symbol
table with their module and offset, and nothing that has a symbol is left
unnamed.

Every binary gets a build-id of its own (-Wl,--build-id=0x...): a debug
file installed for one case can never be picked up by another, nor by
another test's binary built from the same source."""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import (PROGRAMS, base_function, free_port, gdb_frames, run_shim, wait_for)

SOURCE = "dbginfo_app.c"
APP_CHAIN = ["main", "checkout", "price_order", "add_line"]    # oldest call first
BUILD_ID_DIR = "/usr/lib/debug/.build-id"


# ---- building the binaries ------------------------------------------------------

def compile_app(out, flags=("-O0",), source=None):
    """The program with debug info and a build-id nobody else has."""
    build_id = os.urandom(20).hex()
    subprocess.run(["gcc", "-g", *flags, f"-Wl,--build-id=0x{build_id}", "-o", str(out),
                    source or os.path.join(PROGRAMS, SOURCE)], check=True)
    assert read_build_id(out) == build_id
    return build_id


def read_build_id(path):
    out = subprocess.run(["readelf", "-n", str(path)], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else None


def sections(path):
    out = subprocess.run(["readelf", "-S", "-W", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"\]\s+(\.\S+)", out))


def objcopy(*args):
    subprocess.run(["objcopy", *map(str, args)], check=True)


def strip_all(full, out):
    """No debug info, no .symtab, no debuglink: only what finds it by build-id can."""
    objcopy("--strip-all", full, out)
    s = sections(out)
    assert ".debug_info" not in s and ".symtab" not in s and ".gnu_debuglink" not in s, s
    assert read_build_id(out) == read_build_id(full)


# ---- the oracle and what we compare ---------------------------------------------

def gdb_app_frames(full):
    """gdb on the unstripped binary: (function, file basename, line) of the
    frames in our program's source, innermost first."""
    frames, out = gdb_frames(str(full))
    want = [(base_function(f["function"]), os.path.basename(f["file"]), f["line"])
            for f in frames if f["file"] and f["file"].startswith(PROGRAMS + "/")]
    assert [w[0] for w in want] == APP_CHAIN[::-1], out        # the program is what we think
    return want, out


def our_app_frames(ev, module):
    """The event's frames in the program's module, innermost first."""
    return [f for f in reversed(ev["stacktrace"]) if f.get("module") == str(module)]


def check_frames_equal_gdb(ev, stripped, full):
    want, out = gdb_app_frames(full)
    frames = our_app_frames(ev, stripped)
    assert frames, f"no frame in {stripped}: {ev['stacktrace']}"
    ours = [(base_function(f["function"]), os.path.basename(f["filename"]), f["lineno"])
            for f in frames if f["function"] != "_start"]
    assert ours == want, (ours, out)
    for f in frames:
        if f["function"] != "_start":
            # from DWARF, not merely the symbol table; the source is there too
            assert not f.get("symbol_only"), f
            assert f["filename"] == os.path.join(PROGRAMS, SOURCE), f
            assert f["in_app"] is True
    src = open(os.path.join(PROGRAMS, SOURCE)).read().splitlines()
    top = frames[0]
    assert top["inlined"] is True and base_function(top["function"]) == "add_line"
    assert top["context_line"] == src[top["lineno"] - 1]
    assert "o->total += price * o->qty;" in top["context_line"]


def crash(daemon, prog, where="add_line"):
    """Runs prog under the shim; the event, whose message names the
    crashing function as the debug info (or symbol table) found names it.
    o->total (offset 0x10) of a NULL struct is read first."""
    res, pid = run_shim(str(prog), sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV, res
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "SIGSEGV"
    want = "SIGSEGV: invalid read at 0x10 (address not mapped)" + (f" in {where}" if where else "")
    assert ev["message"] == want, ev["message"]
    return ev


# ---- (0) the control: debug info in the binary itself ------------------------------

def test_unstripped_control(tmp_path, daemon):
    """The same program with its debug info inside: the baseline each
    stripped case must reach."""
    full = tmp_path / "app"
    compile_app(full)
    ev = crash(daemon, full)
    check_frames_equal_gdb(ev, full, full)


# ---- (a) by build-id under /usr/lib/debug -------------------------------------------

@pytest.fixture
def system_debug():
    """Installs debug files under /usr/lib/debug and removes them (and every
    directory it made) afterwards, whatever the test did."""
    installed, made = [], []

    def install(debug_file, dest):
        assert dest.startswith("/usr/lib/debug/") and not os.path.exists(dest), dest
        missing, d = [], os.path.dirname(dest)
        while not os.path.isdir(d):
            missing.append(d)
            d = os.path.dirname(d)
        for d in reversed(missing):
            os.mkdir(d)
            made.append(d)
        installed.append(dest)
        shutil.copy(debug_file, dest)
        return dest

    yield install
    for p in installed:
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    for d in reversed(made):                # deepest first
        try:
            os.rmdir(d)
        except OSError:
            pass


@pytest.fixture
def build_id_install(system_debug):
    def install(debug_file, build_id):
        return system_debug(debug_file, f"{BUILD_ID_DIR}/{build_id[:2]}/{build_id[2:]}.debug")
    return install


def test_debug_info_by_build_id(tmp_path, daemon, build_id_install):
    full = tmp_path / "full"
    build_id = compile_app(full)
    objcopy("--only-keep-debug", full, tmp_path / "app.debug")
    stripped = tmp_path / "app"
    strip_all(full, stripped)
    dest = build_id_install(tmp_path / "app.debug", build_id)
    assert dest == f"{BUILD_ID_DIR}/{build_id[:2]}/{build_id[2:]}.debug"
    os.unlink(tmp_path / "app.debug")        # no other copy the daemon could stumble on
    ev = crash(daemon, stripped)
    check_frames_equal_gdb(ev, stripped, full)
    mods = {m["path"]: m for m in ev["context"]["modules"]}
    assert mods[str(stripped)]["build_id"] == build_id


def test_debug_info_installed_while_the_daemon_runs(tmp_path, daemon, build_id_install):
    """The usual way debug info arrives: a crash comes in without it, then
    the debug package is installed.  The next crash of the same binary,
    with the daemon still running, has the functions, files and lines."""
    full = tmp_path / "full"
    build_id = compile_app(full)
    objcopy("--only-keep-debug", full, tmp_path / "kept.dbg")   # no name a search would try
    stripped = tmp_path / "app"
    strip_all(full, stripped)
    ev = crash(daemon, stripped, None)
    assert [f["function"] for f in our_app_frames(ev, stripped)][:3] == ["??"] * 3
    build_id_install(tmp_path / "kept.dbg", build_id)
    ev = crash(daemon, stripped)
    check_frames_equal_gdb(ev, stripped, full)


# ---- (b) through .gnu_debuglink ------------------------------------------------------

@pytest.mark.parametrize("where", ["beside", ".debug", "/usr/lib/debug"])
def test_debug_info_by_debuglink(tmp_path, daemon, system_debug, where):
    """The linked name next to the binary, in .debug/ beside it, or under
    /usr/lib/debug followed by the binary's directory (as gdb looks)."""
    full = tmp_path / "full"
    compile_app(full)
    work = tmp_path / "make"
    work.mkdir()
    debug = work / "app-1.0.sym"    # not <binary>.debug: only the link names it
    objcopy("--only-keep-debug", full, debug)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    stripped = bindir / "app"
    objcopy("--strip-debug", f"--add-gnu-debuglink={debug}", full, stripped)
    s = sections(stripped)
    assert ".debug_info" not in s and ".gnu_debuglink" in s, s
    if where == "/usr/lib/debug":
        system_debug(str(debug), f"/usr/lib/debug{bindir}/app-1.0.sym")
        os.unlink(debug)
    else:
        dest_dir = bindir if where == "beside" else bindir / ".debug"
        dest_dir.mkdir(exist_ok=True)
        shutil.move(str(debug), dest_dir / "app-1.0.sym")
    ev = crash(daemon, stripped)
    check_frames_equal_gdb(ev, stripped, full)


def test_stale_debuglink_file_is_not_used(tmp_path, daemon):
    """A debug file by the linked name that belongs to another build (here
    the same program with every line 7 lower, from another directory) must
    not give the frames its files and lines: symbol names, no wrong lines."""
    full = tmp_path / "full"
    compile_app(full)
    other_src = tmp_path / "other" / SOURCE
    other_src.parent.mkdir()
    other_src.write_text("/* shifted */\n" * 7 + open(os.path.join(PROGRAMS, SOURCE)).read())
    other = tmp_path / "other" / "full"
    compile_app(other, source=str(other_src))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    objcopy("--only-keep-debug", full, tmp_path / "app.debug")
    stripped = bindir / "app"
    objcopy("--strip-debug", f"--add-gnu-debuglink={tmp_path / 'app.debug'}", full, stripped)
    os.unlink(tmp_path / "app.debug")
    objcopy("--only-keep-debug", other, bindir / "app.debug")      # the stale one
    ev = crash(daemon, stripped, "price_order")
    frames = [f for f in our_app_frames(ev, stripped) if f["function"] != "_start"]
    assert [f["function"] for f in frames] == ["price_order", "checkout", "main"], frames
    for f in frames:
        assert f["filename"] == str(stripped) and f["lineno"] == 0, f   # no line info
        assert f.get("symbol_only") is True, f


# ---- (c) from debuginfod, named by the daemon's DEBUGINFOD_URLS ------------------------

def debuginfod_server(tmp_path, serve_dir, build_id):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEBUGINFOD_")}
    log = open(tmp_path / "debuginfod.log", "wb")
    proc = subprocess.Popen(["debuginfod", "-F", str(serve_dir), "-p", str(port),
                             "-d", str(tmp_path / "debuginfod.sqlite")],
                            stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"

    def serves():
        if proc.poll() is not None:
            return True
        try:
            with urllib.request.urlopen(f"{url}/buildid/{build_id}/debuginfo", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False
    ok = wait_for(serves, 60, 0.1)
    log.close()
    assert ok and proc.poll() is None, (tmp_path / "debuginfod.log").read_text(errors="replace")
    return proc, url


def test_debug_info_from_debuginfod_env(tmp_path, make_daemon):
    if not shutil.which("debuginfod"):
        pytest.skip("debuginfod not installed")
    full = tmp_path / "srv" / "app-full"
    full.parent.mkdir()
    build_id = compile_app(full)              # the server has the unstripped binary
    stripped = tmp_path / "app"
    strip_all(full, stripped)
    server, url = debuginfod_server(tmp_path, full.parent, build_id)
    try:
        # the environment variable, not the debuginfod_urls key; a
        # DEBUGINFOD_CACHE_PATH of the daemon is not shared with workers
        d = make_daemon(env={"DEBUGINFOD_URLS": url + "/", "DEBUGINFOD_TIMEOUT": "20",
                             "DEBUGINFOD_CACHE_PATH": str(tmp_path / "shared-cache")})
        assert "debuginfod_urls" not in open(d.config).read()
        t = time.monotonic()
        ev = crash(d, stripped)
        assert time.monotonic() - t < 20
    finally:
        server.terminate()
        server.wait(10)
    check_frames_equal_gdb(ev, stripped, full)
    # the crashing user's worker fetched it, into that user's own cache
    # (cache_dir/UID, private to the user), never into a shared one
    cache = pathlib.Path(d.tmp) / "cache" / str(os.getuid())
    assert (cache / build_id / "debuginfo").is_file(), list(cache.rglob("*"))
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    assert not (tmp_path / "shared-cache").exists()


# ---- (d) no debug info at all: the symbol table ------------------------------------

def elf_functions(path, dynamic=False):
    """[(start, end, name)] of the defined functions in .symtab (or .dynsym)."""
    out = subprocess.run(["readelf", "-W", "--dyn-syms" if dynamic else "--syms", str(path)],
                         capture_output=True, text=True, check=True).stdout
    funcs = []
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 8 and p[3] == "FUNC" and p[6] != "UND":
            funcs.append((int(p[1], 16), int(p[1], 16) + int(p[2], 0), p[7].split("@")[0]))
    return funcs


def symbol_at(funcs, off):
    for start, end, name in funcs:
        if start <= off < end:
            return name
    return None


def check_named_from(frames, funcs):
    """Each frame is named by the ELF symbol covering its offset, or is
    gdb's "??" (never a neighbour's name) when no symbol covers it; without
    line info its filename is its module and its lineno 0."""
    for i, f in enumerate(frames):
        off = int(f["module_offset"], 16)
        # a caller's pc is a return address: the call is the byte before
        want = symbol_at(funcs, off if i == 0 else off - 1)
        assert f["function"] == (want or "??"), (f, want)
        if want:
            assert f.get("symbol_only") is True, f
        assert f["filename"] == f["module"] and f["lineno"] == 0, f


def test_no_debug_info_symtab_names_module_and_offset(tmp_path, daemon):
    """strip --strip-debug keeps .symtab: every app frame, static functions
    included, is named as gdb names it, with its module and offset."""
    full = tmp_path / "full"
    compile_app(full)
    prog = tmp_path / "app"
    objcopy("--strip-debug", full, prog)
    assert ".debug_info" not in sections(prog) and ".symtab" in sections(prog)
    ev = crash(daemon, prog, "price_order")
    frames = our_app_frames(ev, prog)
    assert [f["function"] for f in frames] == ["price_order", "checkout", "main", "_start"], \
        frames
    for f in frames:
        assert f["module"] == str(prog) and re.fullmatch(r"0x[0-9a-f]+", f["module_offset"])
        assert int(f["instruction_addr"], 16) - int(f["module_offset"], 16) == \
            int(next(m["base"] for m in ev["context"]["modules"] if m["path"] == str(prog)),
                16), f
    check_named_from(frames, elf_functions(prog))
    # gdb names the same frames from the same symbol table
    gframes, out = gdb_frames(str(prog))
    gnames = [g["function"] for g in gframes]
    assert gnames[:3] == ["price_order", "checkout", "main"], out
    # nothing that has a symbol is left unnamed, in any module
    for f in ev["stacktrace"]:
        assert f["function"] != "??", f


def test_no_symtab_dynamic_symbols_name_what_they_can(tmp_path, daemon):
    """strip --strip-all of a -rdynamic program: main and checkout are still
    in .dynsym and must be named from it; the static price_order has no
    symbol left, so it is gdb's "??", with its module and offset."""
    full = tmp_path / "full"
    compile_app(full, flags=("-O0", "-rdynamic"))
    prog = tmp_path / "app"
    strip_all(full, prog)
    dyn = elf_functions(prog, dynamic=True)
    assert {"main", "checkout"} <= {n for _, _, n in dyn}
    assert "price_order" not in {n for _, _, n in dyn}
    ev = crash(daemon, prog, None)
    frames = our_app_frames(ev, prog)
    assert len(frames) >= 3, ev["stacktrace"]
    check_named_from(frames[:3], dyn)
    assert [f["function"] for f in frames[:3]] == ["??", "checkout", "main"], frames
    # the unnamed frame's offset is inside price_order of the unstripped twin
    assert symbol_at(elf_functions(full), int(frames[0]["module_offset"], 16)) == "price_order"
    # only that one: every other frame, in any module, has a name
    assert [f for f in ev["stacktrace"] if f["function"] == "??"] == [frames[0]], ev["stacktrace"]
