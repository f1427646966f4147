"""Reports on par with gdb: every frame (inline ones included)
equal to gdb's bt, source context read as the crashing user, all threads,
what happened in words (assert, glibc's own messages, uncaught C++
exceptions), stripped binaries through debuginfod, and the size limit."""
import json
import os
import shutil
import signal
import subprocess
import textwrap
import time

import pytest

from conftest import (DAEMON, PROGRAMS, SHIM, base_function, gdb_frames, run_plain, run_shim,
                      shim_env, wait_for)


def our_frames(ev, prefix):
    """Our frames in files under prefix, innermost first."""
    return [(base_function(f["function"]), os.path.basename(f["filename"]), f["lineno"])
            for f in reversed(ev["stacktrace"])
            if f.get("filename", "").startswith(prefix)]


def gdb_frames_in(prog, args, prefix):
    frames, out = gdb_frames(prog, *args)
    return [(base_function(f["function"]), os.path.basename(f["file"]), f["line"])
            for f in frames if f["file"] and f["file"].startswith(prefix)], out


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_every_frame_equals_gdb_inline_included(programs, daemon, opt):
    prog = programs.build("report.c", (opt,))
    res, pid = run_shim(prog, "inline", "0", sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    want, out = gdb_frames_in(prog, ["inline", "0"], PROGRAMS)
    assert our_frames(ev, PROGRAMS) == want, out
    if opt == "-O2":
        inl = [f for f in ev["stacktrace"] if f.get("inlined")]
        assert [base_function(f["function"]) for f in inl] == ["adjust", "scale"]


def frame_key(function, file, line):
    """gdb's file and line, or None for both where it has no line info
    (where we say the module and line 0)."""
    return (base_function(function), os.path.basename(file) if line else None,
            line if line else None)


@pytest.mark.parametrize("source,opt,args", [
    ("crash_null.c", "-O0", ()), ("crash_null.c", "-O2", ()),
    ("libc_crash.c", "-O0", ()), ("libc_crash.c", "-O2", ("memcpy",)),
    ("abort.c", "-O0", ()), ("divzero.c", "-O2", ()),
    ("thread_crash.c", "-O2", ()),
    ("cpp_ns.cpp", "-O0", ()), ("cpp_ns.cpp", "-O2", ()),
    ("locals_cpp.cpp", "-O0", ()), ("locals_cpp.cpp", "-O2", ()),
    ("report.c", "-O2", ("inline", "0")), ("tailcall.c", "-O2", ("deep",)),
])
def test_whole_stack_equals_gdb_on_a_core(programs, daemon, source, opt, args):
    """Every frame, libc's and the start-up code's included (gdb with
    backtrace past-main and past-entry on a core of the same crash): the
    same functions, files and lines, in the same order, nothing more."""
    prog = programs.build(source, (opt,))
    res, pid = run_shim(prog, *args, sock=daemon.socket)
    assert res.returncode < 0, res
    ev = daemon.event_for_pid(pid)
    frames, out = gdb_frames(prog, *args, whole=True)
    want = [frame_key(f["function"], f["file"], f["line"]) for f in frames]
    ours = [frame_key(f["function"], f["filename"], f["lineno"])
            for f in reversed(ev["stacktrace"])]
    assert ours == want, out


def test_source_context(programs, daemon):
    prog = programs.build("crash_null.c")
    _, pid = run_shim(prog, sock=daemon.socket)
    ev = daemon.event_for_pid(pid)
    lines = open(os.path.join(PROGRAMS, "crash_null.c")).read().splitlines()
    for f in ev["stacktrace"]:
        if f.get("in_app") and f.get("filename", "").endswith("crash_null.c"):
            n = f["lineno"]
            assert f["context_line"] == lines[n - 1]
            assert f["pre_context"] == lines[max(0, n - 6):n - 1]
            assert f["post_context"] == lines[n:n + 5]


def test_source_path_map(programs, make_daemon, tmp_path):
    src = tmp_path / "moved"
    src.mkdir()
    shutil.copy(os.path.join(PROGRAMS, "crash_null.c"), src / "crash_null.c")
    d = make_daemon(f"source_path_map = {PROGRAMS} => {src}")
    (src / "crash_null.c").write_text((src / "crash_null.c").read_text().replace(
        "a->balance += amount;", "a->balance += amount; /* mapped copy */"))
    _, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
    ev = d.event_for_pid(pid)
    assert ev["stacktrace"][-1]["context_line"].endswith("/* mapped copy */")


def test_source_read_with_the_crashing_users_credentials(programs, make_daemon, open_tmp):
    """Debug info naming a file its user cannot read gives no context from it."""
    # nobody must reach the socket and the program
    daemon = make_daemon(socket_path=str(open_tmp / "booboo.sock"))
    secret = open_tmp / "secret"
    public = open_tmp / "public"
    secret.mkdir(mode=0o700)
    public.mkdir(mode=0o755)
    shutil.copy(os.path.join(PROGRAMS, "crash_null.c"), secret / "crash_null.c")
    prog = public / "crash_secret"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(prog), str(secret / "crash_null.c")], check=True)
    os.chmod(prog, 0o755)
    shim = public / "libbooboo-shim.so"          # the build tree may not be open to nobody
    shutil.copy(SHIM, shim)
    os.chmod(shim, 0o755)
    res, pid = run_shim(str(prog), sock=daemon.socket, user="nobody",
                        env={"LD_PRELOAD": str(shim)})
    assert res.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    top = ev["stacktrace"][-1]
    assert top["filename"] == str(secret / "crash_null.c") and top["lineno"]
    assert ev["context"]["process"]["uid"] != 0
    assert all((f["context_line"], f["pre_context"], f["post_context"]) == ("", [], [])
               for f in ev["stacktrace"] if f["filename"].startswith(str(secret)))
    # the same program run by root does get it: the daemon's own rights are not what counts
    res, pid = run_shim(str(prog), sock=daemon.socket)
    assert daemon.event_for_pid(pid)["stacktrace"][-1]["context_line"]


def test_all_threads(programs, daemon):
    prog = programs.build("report.c")
    res, pid = run_shim(prog, "threads", sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    threads = ev["context"]["threads"]
    names = sorted(t["name"] for t in threads)
    assert names == sorted(["report_O0", "idle-a", "idle-b"])
    crashed = [t for t in threads if t["crashed"]]
    assert len(crashed) == 1 and crashed[0]["tid"] == ev["context"]["thread"]["tid"]
    for t in threads:
        fns = [base_function(f["function"]) for f in t["frames"]]
        if t["name"].startswith("idle"):
            assert "idler" in fns and "start_thread" in fns
            idler = [f for f in t["frames"] if base_function(f["function"]) == "idler"][0]
            src = open(os.path.join(PROGRAMS, "report.c")).read().splitlines()
            assert src[idler["lineno"] - 1].strip() == "pause();"
        elif t["crashed"]:
            assert fns[-1] == "crash_now" and "threads_then_crash" in fns


def test_assert_text_is_the_message(programs, daemon):
    prog = programs.build("report.c")
    res, pid = run_shim(prog, "assert", sock=daemon.socket)
    assert res.returncode == -signal.SIGABRT
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "SIGABRT"
    assert "Assertion `qty > 0 && \"quantity must be positive\"' failed." in ev["message"]
    assert "check_order" in ev["message"]


def test_glibc_fatal_message(programs, daemon):
    prog = programs.build("report.c")
    res, pid = run_shim(prog, "heap", sock=daemon.socket)
    assert res.returncode == -signal.SIGABRT
    ev = daemon.event_for_pid(pid)
    assert "double free" in ev["message"]


@pytest.mark.parametrize("case,etype,what,site", [
    ("range", "std::out_of_range",
     "vector::_M_range_check: __n (which is 7) >= this->size() (which is 3)", "pick"),
    ("timeout", "shop::Timeout", "payment gateway timed out after 30 s", "pay"),
    ("invalid", "std::invalid_argument", "empty amount", "parse"),
])
def test_uncaught_cpp_exception(programs, daemon, case, etype, what, site):
    prog = programs.build("exceptions.cpp")
    plain = run_plain(prog, case)
    res, pid = run_shim(prog, case, sock=daemon.socket)
    assert res.returncode == plain.returncode == -signal.SIGABRT
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == etype
    assert ev["message"] == what
    assert ev["exceptions"][0]["type"] == etype
    # the stack is the throw's: the throwing function is on it
    assert site in [base_function(f["function"]) for f in ev["stacktrace"]]


def test_caught_exception_then_abort_is_a_plain_abort(programs, daemon, tmp_path):
    src = tmp_path / "caught.cpp"
    src.write_text(textwrap.dedent("""
        #include <cstdlib>
        #include <stdexcept>
        int main() { try { throw std::runtime_error("handled"); } catch (...) {} std::abort(); }
    """))
    prog = tmp_path / "caught"
    subprocess.run(["g++", "-g", "-o", str(prog), str(src)], check=True)
    _, pid = run_shim(str(prog), sock=daemon.socket)
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "SIGABRT" and "handled" not in ev["message"]


def test_oversized_event_is_shrunk_not_dropped(programs, daemon):
    prog = programs.build("report.c")
    res, pid = run_shim(prog, "deep", sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV
    path = wait_for(lambda: [p for p in daemon.event_files()
                             if json.load(open(p))["context"]["process"]["pid"] == pid], 15)
    raw = open(path[0], "rb").read()
    assert len(raw) <= 102400
    ev = json.loads(raw)
    t = ev["context"]["truncation"]
    assert t["original_size"] > 102400
    assert t["frames_without_source"] > 0 or t["frames_removed"] > 0
    assert ev["stacktrace"][-1]["function"] == "crash_now"
    assert ev["stacktrace"][-1]["context_line"]            # the crash site keeps its source
    assert base_function(ev["stacktrace"][0]["function"]) in ("_start", "__libc_start_main_impl",
                                                             "__libc_start_call_main", "main")


DEBUGINFOD_SCENARIO = r"""
set -e
ip link set lo up
cd "$WORK"
debuginfod -F "$WORK/srv" -p 18902 -d "$WORK/db" >"$WORK/debuginfod.log" 2>&1 &
srv=$!
for i in $(seq 300); do
	python3 -c 'import urllib.request,sys; t=urllib.request.urlopen("http://127.0.0.1:18902/metrics").read().decode(); sys.exit(0 if "thread_busy{role=\"traverse\"} 0" in t and "scanned_files_total{source=\"file\"} 1" in t else 1)' 2>/dev/null && break
	sleep 0.1
done
DEBUGINFOD_CACHE_PATH="$WORK/cache" "$DAEMON" -f -d -c "$WORK/booboo.conf" 2>"$WORK/boobood.log" &
d=$!
for i in $(seq 100); do [ -S "$WORK/booboo.sock" ] && break; sleep 0.05; done
LD_PRELOAD="$SHIM" BOOBOO_SOCKET="$WORK/booboo.sock" "$WORK/stripped" || echo "status=$?" >"$WORK/status"
for i in $(seq 200); do ls "$WORK"/spool/pending/*.json >/dev/null 2>&1 && break; sleep 0.05; done
kill $d; wait $d || true
kill $srv; wait $srv || true
"""


def test_stripped_binary_symbolized_through_debuginfod(tmp_path):
    if not shutil.which("debuginfod") or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("debuginfod, unshare or ip missing")
    work = tmp_path
    (work / "srv").mkdir()
    src = os.path.join(PROGRAMS, "crash_null.c")
    full = work / "full"
    subprocess.run(["gcc", "-g", "-O0", "-Wl,--build-id", "-o", str(full), src], check=True)
    subprocess.run(["objcopy", "--only-keep-debug", str(full), str(work / "srv" / "crash.debug")],
                   check=True)
    subprocess.run(["strip", "--strip-all", "-o", str(work / "stripped"), str(full)], check=True)
    (work / "booboo.conf").write_text(
        f"socket = {work}/booboo.sock\nspool_dir = {work}/spool\n"
        "debuginfod_urls = http://127.0.0.1:18902/\n")
    env = dict(os.environ, WORK=str(work), DAEMON=DAEMON, SHIM=SHIM)
    env.pop("DEBUGINFOD_URLS", None)
    p = subprocess.run(["unshare", "-n", "bash", "-c", DEBUGINFOD_SCENARIO], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr + (work / "boobood.log").read_text()
    files = sorted((work / "spool" / "pending").glob("*.json"))
    assert files, (work / "boobood.log").read_text()
    ev = json.loads(files[0].read_text())
    app = [f for f in ev["stacktrace"] if f.get("module", "").endswith("/stripped")]
    fns = [f["function"] for f in app]
    assert "credit" in fns and "settle" in fns and "main" in fns, app
    top = [f for f in app if f["function"] == "credit"][0]
    frames, out = gdb_frames(str(full))          # gdb on the unstripped twin: the oracle
    assert (top["function"], os.path.basename(top["filename"]), top["lineno"]) == \
        (frames[0]["function"], os.path.basename(frames[0]["file"]), frames[0]["line"]), out


def test_no_debug_info_still_names_what_it_can(tmp_path, daemon):
    """Without any debug info: symbol table names, module and offset."""
    full = tmp_path / "nodebug"
    subprocess.run(["gcc", "-O0", "-o", str(full), os.path.join(PROGRAMS, "crash_null.c")],
                   check=True)
    _, pid = run_shim(str(full), sock=daemon.socket)
    ev = daemon.event_for_pid(pid)
    app = [f for f in ev["stacktrace"] if f.get("module") == str(full)]
    assert [f["function"] for f in app][-3:] == ["main", "settle", "credit"]
    assert all(f.get("symbol_only") and f["module_offset"].startswith("0x") for f in app
               if f["function"] != "_start")


def gdb_threads(prog, *args):
    """gdb's `thread apply all bt`: {thread name: [(function, line) in our source]}."""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    out = subprocess.run(["gdb", "-batch", "-nx", "-ex", "set pagination off", "-ex", "set width 0",
                          "-ex", "run", "-ex", "thread apply all bt", "--args", prog, *args],
                         capture_output=True, text=True, timeout=120, env=env).stdout
    threads, cur = {}, None
    for line in out.splitlines():
        if line.startswith("Thread "):
            import re
            m = re.search(r'"([^"]*)"', line)
            cur = m.group(1) if m else None
            threads[cur] = []
        elif cur is not None and line.startswith("#"):
            import re
            m = re.match(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(.+?) \(.*\) at (\S+):(\d+)$", line)
            if m and m.group(2).endswith("report.c"):
                threads[cur].append((base_function(m.group(1)), int(m.group(3))))
    return threads, out


def test_all_threads_equal_gdb(programs, daemon):
    prog = programs.build("report.c")
    res, pid = run_shim(prog, "threads", sock=daemon.socket)
    ev = daemon.event_for_pid(pid)
    want, out = gdb_threads(prog, "threads")
    for t in ev["context"]["threads"]:
        ours = [(base_function(f["function"]), f["lineno"]) for f in reversed(t["frames"])
                if f.get("filename", "").endswith("report.c")]
        assert ours == want[t["name"]], (t["name"], ours, out)


def test_replaced_binary_is_read_as_it_was_mapped(daemon, tmp_path):
    """A program upgraded on disk while it runs is symbolized from the file it
    really mapped, not from what its path names at crash time."""
    import time as _time
    src = tmp_path / "v.c"
    prog = tmp_path / "app"
    template = r'''
        #include <signal.h>
        #include <unistd.h>
        static volatile sig_atomic_t go;
        static void on_usr1(int s) { (void)s; go = 1; }
        __attribute__((noinline)) static void NAME(volatile int *p) { *p = 1; }
        int main(void) { signal(SIGUSR1, on_usr1); while (!go) pause(); NAME(0); return 0; }'''
    src.write_text(template.replace("NAME", "version_one_crash"))
    subprocess.run(["gcc", "-g", "-O0", "-o", str(prog), str(src)], check=True)
    p = subprocess.Popen([str(prog)], env=shim_env(daemon.socket))
    _time.sleep(0.3)
    src.write_text(template.replace("NAME", "version_two_renamed_function_x"))
    subprocess.run(["gcc", "-g", "-O0", "-o", str(tmp_path / "app.new"), str(src)], check=True)
    os.rename(tmp_path / "app.new", prog)            # the upgrade
    p.send_signal(signal.SIGUSR1)
    assert p.wait(10) == -signal.SIGSEGV
    ev = daemon.event_for_pid(p.pid)
    fns = [f["function"] for f in ev["stacktrace"]]
    assert "version_one_crash" in fns and "version_two_renamed_function_x" not in fns


def test_thread_stuck_in_the_kernel(programs, daemon):
    prog = programs.build("stuck_thread.c")
    t = time.monotonic()
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    assert time.monotonic() - t < 8
    stuck = [th for th in ev["context"]["threads"] if not th["crashed"]]
    assert stuck and stuck[0]["state"].startswith("uninterruptible sleep")
    # nothing of it stays traced by the daemon: no zombie left behind
    time.sleep(5)
    out = subprocess.run(["ps", "-eo", "pid,stat"], capture_output=True, text=True).stdout
    assert not any(l.split()[0] == str(pid) for l in out.splitlines()[1:]), out
