"""Python programs that die of a signal (issue 9): the crashed CPython's
frames in place of its eval loop's C frames, in every thread, each frame
as the Python SDK sends it.  The oracle for the Python frames is
faulthandler: the same program run with `python3 -X faulthandler` (no
shim) prints each thread's Python stack when it faults.  The interpreter
is Debian's /usr/bin/python3.11 (stripped: the layout comes from
python3.11-dev's headers); other CPythons found on the machine (pyenv
builds, with DWARF) run the same checks, or are skipped."""
import glob
import json
import os
import re
import subprocess

import pytest

from conftest import PROGRAMS, run_shim

PYDIR = os.path.join(PROGRAMS, "python")
DEBIAN = "/usr/bin/python3.11"
PYENV = sorted(glob.glob("/root/.pyenv/versions/3.1[123].*/bin/python3.1[123]"))
PYTHONS = [DEBIAN] + [p for p in PYENV if os.path.exists(p)]


def pyid(path):
    return "debian" if path == DEBIAN else os.path.basename(os.path.dirname(os.path.dirname(path)))


@pytest.fixture(scope="session", params=PYTHONS, ids=pyid)
def python(request, tmp_path_factory):
    """An interpreter, and the test extension built against its headers."""
    py = request.param
    if not os.path.exists(py):
        pytest.skip(f"{py} is not installed")
    include = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    suffix = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    out = tmp_path_factory.mktemp("ext")
    subprocess.run(["gcc", "-g", "-O0", "-fPIC", "-shared", f"-I{include}", "-o",
                    str(out / f"crashext{suffix}"), os.path.join(PYDIR, "crashext.c")], check=True)
    return py, str(out)


def env_for(ext):
    return {"PYTHONPATH": ext, "PYTHONDONTWRITEBYTECODE": "1"}


def run_py(daemon, python, script, *args):
    py, ext = python
    res, pid = run_shim(py, os.path.join(PYDIR, script), *args, sock=daemon.socket,
                        env=env_for(ext))
    assert res.returncode == -11, res.stderr
    return res, daemon.event_for_pid(pid)


# ---- the oracle ------------------------------------------------------------------

FH_THREAD = re.compile(r"^(Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):$")
FH_FRAME = re.compile(r'^  File "(.*)", line (\d+|\?\?\?) in (.*)$')


def faulthandler(python, script, *args, status=-11):
    """Each thread's Python frames as faulthandler prints them, innermost
    first: {"current": [(file, line, function), ...], "others": [[...], ...]}."""
    py, ext = python
    env = dict(os.environ, **env_for(ext))
    env.pop("LD_PRELOAD", None)
    p = subprocess.run([py, "-X", "faulthandler", os.path.join(PYDIR, script), *args],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == status, p.stderr
    stacks, cur = {"current": None, "others": []}, None
    for line in p.stderr.splitlines():
        m = FH_THREAD.match(line)
        if m:
            cur = []
            if m.group(1) == "Current thread":
                stacks["current"] = cur
            else:
                stacks["others"].append(cur)
            continue
        m = FH_FRAME.match(line)
        if m and cur is not None:
            cur.append((m.group(1), int(m.group(2)) if m.group(2) != "???" else 0, m.group(3)))
    assert stacks["current"], p.stderr
    return stacks


def python_frames(frames):
    """(filename, lineno, function) of the Python frames, innermost first."""
    return [(f["filename"], f["lineno"], f["function"])
            for f in reversed(frames) if f.get("platform") == "python"]


def names(frames):
    """Function names, oldest first, each marked py or C."""
    return [("py " if f.get("platform") == "python" else "C ") + f["function"] for f in frames]


def subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


# ---- the example ----------------------------------------------------------

def test_extension_calling_back_into_python(daemon, python):
    _, ev = run_py(daemon, python, "job.py")
    fh = faulthandler(python, "job.py")
    st = ev["stacktrace"]
    assert python_frames(st) == fh["current"]
    # replaced in place: the C extension's frames stay between the Python ones
    assert subsequence(["py <module>", "py handle", "C np_reduce", "py score", "C kernel"],
                       names(st)), names(st)
    assert names(st)[-1] == "C kernel"
    # the interpreter's call machinery between them is not shown
    shown = names(st)
    assert shown[shown.index("py handle") + 1] == "C np_reduce", shown
    assert shown[shown.index("py score") + 1] == "C kernel", shown
    assert not any("EvalFrame" in n or "Vectorcall" in n for n in shown), shown
    score_line = fh["current"][0][1]
    assert ev["message"] == ("SIGSEGV: invalid read at 0x10 (address not mapped) in kernel, "
                             f"called from score (job.py:{score_line})")
    rt = ev["context"]["runtime"]
    assert rt["name"] == "CPython" and re.match(r"3\.1[1-3]\.\d+$", rt["version"]), rt
    assert ev["tags"]["runtime"] == "native"
    assert "runtime_error" not in ev["context"], ev["context"]["runtime_error"]


def test_python_frames_are_the_sdks(daemon, python):
    """filename, function, lineno, five lines of source around it, locals
    as repr() shows them, in_app; nothing native."""
    _, ev = run_py(daemon, python, "job.py")
    path = os.path.join(PYDIR, "job.py")
    lines = open(path).read().split("\n")
    frames = {f["function"]: f for f in ev["stacktrace"] if f.get("platform") == "python"}
    score, handle = frames["score"], frames["handle"]
    assert set(score) == {"filename", "function", "lineno", "context_line", "pre_context",
                          "post_context", "vars", "in_app", "platform"}
    assert score["filename"] == path and score["in_app"] is True
    assert score["context_line"] == lines[score["lineno"] - 1]
    assert score["pre_context"] == lines[score["lineno"] - 6:score["lineno"] - 1]
    assert score["post_context"] == lines[score["lineno"]:score["lineno"] + 5]
    assert score["vars"] == {"x": "41", "weight": "82"}
    assert handle["vars"] == {"job": "41", "label": "'job-41'"}
    module = frames["<module>"]["vars"]
    assert module["crashext"].startswith("<module 'crashext' from '"), module
    assert re.fullmatch(r"<function score at 0x[0-9a-f]+>", module["score"]), module
    assert not any(k.startswith("__") for k in module), module


def test_ctypes_fault(daemon, python):
    _, ev = run_py(daemon, python, "flows.py", "ctypes")
    fh = faulthandler(python, "flows.py", "ctypes")
    st = ev["stacktrace"]
    assert python_frames(st) == fh["current"]
    by_fn = {f["function"]: f for f in st if f.get("platform") == "python"}
    # the standard library's frame is not the program's
    assert by_fn["string_at"]["in_app"] is False
    assert by_fn["string_at"]["vars"] == {"ptr": "0", "size": "-1"}
    assert by_fn["peek"]["in_app"] is True and by_fn["peek"]["vars"] == {"address": "0"}
    # where it crashed natively, then where in the program's Python
    assert re.match(r"SIGSEGV: invalid read at 0x0 \(address not mapped\) in \S+, called from "
                    rf"peek \(flows.py:{by_fn['peek']['lineno']}\)$", ev["message"]), ev["message"]
    # libffi's frames stay, between the Python code and the fault
    assert any(f.get("module", "").find("libffi") >= 0 for f in st)


@pytest.mark.parametrize("mode", ["gen", "async", "method", "closure", "classbody"])
def test_generators_coroutines_classes_closures(daemon, python, mode):
    _, ev = run_py(daemon, python, "flows.py", mode)
    fh = faulthandler(python, "flows.py", mode)
    assert python_frames(ev["stacktrace"]) == fh["current"]
    frames = [f for f in ev["stacktrace"] if f.get("platform") == "python"]
    inner = frames[-1]["vars"]
    if mode == "method":
        assert re.fullmatch(r"<__main__\.Ledger object at 0x[0-9a-f]+>", inner["self"]), inner
        assert inner["amount"] == "12" and inner["balance"] == "11"
    if mode == "closure":
        # free variables, through their cells, as f_locals shows them
        assert inner == {"x": "0", "offset": "10", "base": "1"}, inner
    if mode == "gen":
        assert inner["limit"] == "10" and inner["i"] == "3", inner
    if mode == "classbody":
        # as frame.f_locals shows them: a class body's namespace; the
        # comprehension is a frame of its own in 3.11, inlined since, its
        # variable among the body's (3.12), or alone while it runs (3.13)
        minor = int(ev["context"]["runtime"]["version"].split(".")[1])
        body = [f for f in frames if f["function"] == "Grid"][0]["vars"]
        assert body == {11: {"rows": "3"}, 12: {"rows": "3", "r": "1"},
                        13: {"r": "1"}}[minor], body
        assert inner["r"] == "1", inner


def test_deep_recursion(daemon, python):
    _, ev = run_py(daemon, python, "recursion.py", "900")
    fh = faulthandler(python, "recursion.py", "900")
    mine = python_frames(ev["stacktrace"])
    # faulthandler shows the innermost 100 frames; the event the innermost
    # 256 and the outermost 64, the middle counted, and then as many as
    # fit the ingest's 100 KB (shrink.c takes the middle ones out: how
    # many go depends on the length of the file's path)
    assert len(fh["current"]) == 100
    kept = min(100, len(mine) - 1)
    assert kept >= 20 and mine[:kept] == fh["current"][:kept], (kept, mine[:kept])
    assert mine[-1][2] == "<module>" and mine[-2][2] == "descend"
    removed = ev["context"].get("truncation", {}).get("frames_removed", 0)
    native = [f for f in ev["stacktrace"] if f.get("platform") != "python"]
    assert len(mine) + len(native) + removed >= 256 + 64
    assert ev["context"]["thread"]["frames_omitted"] == 902 - 320


def test_deep_recursion_through_c(daemon, python):
    """Each level through the C extension: the native stack is cut in its
    middle (192 innermost and 64 outermost frames kept), yet every Python
    frame goes in its place, between the C frames kept around it."""
    _, ev = run_py(daemon, python, "recursion.py", "60", "c")
    fh = faulthandler(python, "recursion.py", "60", "c")
    assert ev["context"]["thread"]["frames_omitted"] > 0
    # (the ingest's 100 KB take the outer frames' locals and source, no frame)
    assert ev["context"].get("truncation", {}).get("frames_removed", 0) == 0
    assert python_frames(ev["stacktrace"]) == fh["current"]
    assert "runtime_error" not in ev["context"], ev["context"]["runtime_error"]
    shown = names(ev["stacktrace"])
    shown = shown[shown.index("py <module>"):]
    # oldest first: <module>, descend, np_reduce where its frame was kept
    # (the middle ones were not), descend... and kernel
    assert [n for n in shown if n != "C np_reduce"] == \
        ["py <module>"] + ["py descend"] * 61 + ["C kernel"], shown
    for i, n in enumerate(shown):
        if n == "C np_reduce":
            assert shown[i - 1] == shown[i + 1] == "py descend", shown
    assert 0 < shown.count("C np_reduce") < 60


def test_threads(daemon, python):
    _, ev = run_py(daemon, python, "threads.py")
    fh = faulthandler(python, "threads.py")
    assert python_frames(ev["stacktrace"]) == fh["current"]
    others = [python_frames(t["frames"]) for t in ev["context"]["threads"] if not t["crashed"]]
    # every other thread's Python frames, as faulthandler saw them
    for stack in fh["others"]:
        assert stack in others, (stack, others)
    crashed = [t for t in ev["context"]["threads"] if t["crashed"]][0]
    assert python_frames(crashed["frames"]) == fh["current"]


def test_values_as_repr(daemon, python):
    """The program printed repr() of its locals just before the fault."""
    res, ev = run_py(daemon, python, "values.py")
    shown = json.loads(res.stdout.strip().splitlines()[-1])
    frame = [f for f in ev["stacktrace"] if f.get("function") == "frame"][0]
    for name, want in shown.items():
        if name == "password":
            want = "[filtered]"
        elif len(want) > 200:
            want = want[:197] + "..."
        assert frame["vars"].get(name) == want, name


def test_fault_in_the_interpreter(daemon, python):
    """The interpreter itself faults (an object ctypes broke): the C frames
    of the crash site stay, the Python code that ran them right outside."""
    _, ev = run_py(daemon, python, "flows.py", "corrupt")
    fh = faulthandler(python, "flows.py", "corrupt")
    st = ev["stacktrace"]
    assert python_frames(st) == fh["current"]
    assert st[-1].get("platform") != "python" and st[-1]["in_app"] is False
    inner_py = max(i for i, f in enumerate(st) if f.get("platform") == "python")
    assert st[inner_py]["function"] == "corrupt"
    # (a stripped interpreter's static functions have no name to say)
    assert re.fullmatch(r"SIGSEGV: invalid read at 0x18 \(address not mapped\)( in \S+)?, called "
                        rf"from corrupt \(flows.py:{st[inner_py]['lineno']}\)", ev["message"])


# ---- what cannot be read is said, never made up ---------------------------------

@pytest.fixture(scope="session")
def fake_python(tmp_path_factory):
    """fake_python.c built as python3.11-fake (its version: the headers')
    and python3.99-fake (a version no stage reads)."""
    if not os.path.exists("/usr/include/python3.11/Python.h"):
        pytest.skip("python3.11-dev is not installed")
    out = tmp_path_factory.mktemp("fake")
    built = {}
    for name, flags in (("python3.11-fake", []), ("python3.99-fake", ["-DFAKE_VERSION=0x036300F0"])):
        built[name] = str(out / name)
        subprocess.run(["gcc", "-g", "-O0", "-rdynamic", "-isystem", "/usr/include/python3.11",
                        *flags, "-o", built[name], os.path.join(PYDIR, "fake_python.c")], check=True)
    return built


def native_only(ev):
    st = ev["stacktrace"]
    assert st and not any(f.get("platform") == "python" for f in st), names(st)
    assert names(st)[-1] == "C main"
    assert ev["message"] == "SIGSEGV: invalid write at 0x10 (address not mapped) in main"
    return ev["context"]["runtime_error"]


@pytest.mark.parametrize("binary,mode,why", [
    ("python3.99-fake", "loop", r"CPython 3\.99\.0: Python frames are read from CPython 3\.11 to "
                                r"3\.13 only: native frames only"),
    ("python3.11-fake", "garbage", r"CPython 3\.11\.\d+: its type objects do not look like types"),
    ("python3.11-fake", "loop", r"CPython 3\.11\.\d+: threads whose frame chain comes back on "
                                r"itself \(corrupt memory\): 1; their Python frames are left out"),
])
def test_not_readable_degrades_to_native(daemon, fake_python, binary, mode, why):
    res, pid = run_shim(fake_python[binary], mode, sock=daemon.socket)
    assert res.returncode == -11
    ev = daemon.event_for_pid(pid)
    assert re.match(why, native_only(ev)), ev["context"]["runtime_error"]
    assert ev["context"]["runtime"]["name"] == "CPython"


def pyenv(version):
    found = sorted(glob.glob(f"/root/.pyenv/versions/{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"no CPython {version} on this machine")
    return found[-1]


def test_older_version_degrades_to_native(daemon):
    py = pyenv("3.10")
    res, pid = run_shim(py, "-c", "import ctypes; ctypes.string_at(0)", sock=daemon.socket)
    ev = daemon.event_for_pid(pid)
    assert ev["context"]["runtime"] == {"name": "CPython", "version": "3.10"}
    assert "3.11 to 3.13 only" in ev["context"]["runtime_error"]
    assert not any(f.get("platform") == "python" for f in ev["stacktrace"])
    assert any("EvalFrame" in f["function"] for f in ev["stacktrace"])


@pytest.mark.parametrize("version,layout", [("3.11", True), ("3.12", False)])
def test_stripped_interpreter(daemon, tmp_path, version, layout):
    """A pyenv CPython whose libpython lost its DWARF: 3.11 is read with
    python3.11-dev's layout (same minor version), 3.12 has none."""
    py = pyenv(version)
    lib = glob.glob(os.path.join(os.path.dirname(os.path.dirname(py)), "lib",
                                 f"libpython{version}.so.1.0"))[0]
    subprocess.run(["strip", "--strip-debug", "-o", str(tmp_path / os.path.basename(lib)), lib],
                   check=True)
    res, pid = run_shim(py, "-c", "import ctypes\ndef f(): ctypes.string_at(0)\nf()",
                        sock=daemon.socket, env={"LD_LIBRARY_PATH": str(tmp_path)})
    ev = daemon.event_for_pid(pid)
    frames = [(f["function"], f["lineno"]) for f in ev["stacktrace"] if f.get("platform")]
    if layout:
        assert frames == [("<module>", 3), ("f", 2), ("string_at", frames[-1][1])], frames
        assert "runtime_error" not in ev["context"]
        assert "same minor version" in daemon.log()
    else:
        assert frames == []
        assert "no layout of its structures" in ev["context"]["runtime_error"]


def test_assert_in_extension(daemon, python):
    """An assert() that fails in a C extension: glibc's text, then where
    in Python."""
    py, ext = python
    res, pid = run_shim(py, os.path.join(PYDIR, "flows.py"), "assert", sock=daemon.socket,
                        env=env_for(ext))
    assert res.returncode == -6, res.stderr
    ev = daemon.event_for_pid(pid)
    fh = faulthandler(python, "flows.py", "assert", status=-6)["current"]
    assert python_frames(ev["stacktrace"]) == fh
    line = fh[0][1]
    assert re.fullmatch(r".*crashext\.c:\d+: check: Assertion `x >= 0 && \"a negative count\"' "
                        rf"failed\., called from validate \(flows\.py:{line}\)", ev["message"]), \
        ev["message"]
