"""Real crashing programs under the shim with the real daemon.
Each asserts the event's type, message and frame order, that the app's
own top frame is where gdb says it is (gdb is the oracle, never a
hard-coded line), and that the program dies exactly as it does without
the shim."""
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (PROGRAMS, SHIM, base_function, gdb_frames, gdb_top_app_frame, run_plain,
                      run_shim, shim_env, top_app_frame)

OPTS = ["-O0", "-O2"]


def app_frames_in(frames_innermost_first, source, key_file, key_line):
    return [(base_function(f["function"]), f[key_line])
            for f in frames_innermost_first
            if f.get(key_file) and os.path.basename(f[key_file]) == source]


def check_against_gdb(event, prog, args, source, env=None, commands=("bt",), whole=True):
    """The event's last in-app frame has gdb's function, file and line for
    the same crash; with whole=True every frame in source matches gdb's."""
    frames, out = gdb_frames(prog, *args, env=env, commands=commands)
    want = gdb_top_app_frame(frames, source)
    assert want, f"gdb found no frame in {source}:\n{out}"
    got = top_app_frame(event)
    assert got, f"no in-app frame with a file in {event['stacktrace']}"
    assert base_function(got["function"]) == base_function(want["function"]), (got, want["raw"])
    assert os.path.basename(got["filename"]) == os.path.basename(want["file"])
    assert got["lineno"] == want["line"], (got, want["raw"])
    if whole:
        ours = app_frames_in(reversed(event["stacktrace"]), source, "filename", "lineno")
        theirs = app_frames_in(frames, source, "file", "line")
        assert ours == theirs, out


def crash_and_check(programs, daemon, source, args=(), flags=("-O0",), expect_sig=None,
                    env=None):
    """Run without and with the shim: same status; returns the event."""
    prog = programs.build(source, flags)
    plain = run_plain(prog, *args, env=env)
    res, pid = run_shim(prog, *args, sock=daemon.socket, env=env)
    assert res.returncode == plain.returncode, (res.returncode, plain.returncode, res.stderr)
    if expect_sig:
        assert res.returncode == -expect_sig
    ev = daemon.event_for_pid(pid)
    check_shape(ev, expect_sig)
    return prog, ev


def check_shape(ev, sig):
    """What every crash event carries, whatever the crash."""
    name = signal.Signals(sig).name
    assert ev["exception_type"] == name
    assert ev["message"].startswith(name + ": "), ev["message"]
    assert ev["level"] == "error"
    assert ev["tags"]["runtime"] == "native"
    assert ev["context"]["sdk"]["name"] == "booboo-native"
    assert ev["context"]["signal"]["number"] == sig and ev["context"]["signal"]["name"] == name
    assert ev["context"]["thread"]["crashed"] is True
    exc = ev["exceptions"][0]
    assert exc["type"] == name and exc["value"] == ev["message"] and exc["chain_type"] is None
    assert [f.get("function") for f in exc["stacktrace"]] == functions(ev)
    # no frame of the shim or of the signal trampoline
    for f in ev["stacktrace"]:
        assert "libbooboo-shim" not in (f.get("module") or ""), f
        assert f.get("function") not in ("__restore_rt", "bb_shim_handler"), f


def functions(ev):
    return [f.get("function") or "" for f in ev["stacktrace"]]


def assert_order(ev, *names):
    """names appear in this order (oldest call first) in the stack."""
    fns = [base_function(f) for f in functions(ev)]
    for n in names:
        assert n in fns, (n, fns)
    pos = [fns.index(n) for n in names]
    assert pos == sorted(pos), (names, fns)


def assert_segv_message(ev, addr):
    sig = ev["context"]["signal"]
    assert sig["code_name"] == "SEGV_MAPERR"
    assert sig["address"] == addr
    assert addr in ev["message"] and "address not mapped" in ev["message"], ev["message"]


@pytest.mark.parametrize("opt", OPTS)
def test_null_dereference(programs, daemon, opt):
    prog, ev = crash_and_check(programs, daemon, "crash_null.c", flags=(opt,),
                               expect_sig=signal.SIGSEGV)
    # a->balance of a NULL struct pointer: the field's offset, 8
    assert_segv_message(ev, "0x8")
    # -O0 loads then stores; -O2 adds to memory in one instruction (a write)
    assert re.search(r"invalid (read|write) at 0x8 ", ev["message"]), ev["message"]
    assert_order(ev, "main", "settle", "credit")
    top = ev["stacktrace"][-1]
    assert base_function(top["function"]) == "credit" and top["in_app"] is True
    assert top["module"] == prog
    check_against_gdb(ev, prog, (), "crash_null.c")


@pytest.mark.parametrize("opt", OPTS)
def test_abort(programs, daemon, opt):
    prog, ev = crash_and_check(programs, daemon, "abort.c", flags=(opt,),
                               expect_sig=signal.SIGABRT)
    assert "abort" in ev["message"]
    assert_order(ev, "main", "give_up")
    # libc's frames sit on top of the program's, as in gdb
    assert not ev["stacktrace"][-1]["in_app"]
    assert "libc.so" in ev["stacktrace"][-1]["module"]
    check_against_gdb(ev, prog, (), "abort.c")


@pytest.mark.parametrize("opt", OPTS)
def test_integer_division_by_zero(programs, daemon, opt):
    prog, ev = crash_and_check(programs, daemon, "divzero.c", flags=(opt,),
                               expect_sig=signal.SIGFPE)
    assert "divide by zero" in ev["message"]
    assert ev["context"]["signal"]["code_name"] == "FPE_INTDIV"
    assert_order(ev, "main", "average")
    assert base_function(ev["stacktrace"][-1]["function"]) == "average"
    check_against_gdb(ev, prog, (), "divzero.c")


@pytest.mark.parametrize("opt", OPTS)
@pytest.mark.parametrize("case,caller,libc_fn,addr", [
    ("strlen", "name_length", "strlen", "0x0"),
    ("memcpy", "copy_name", "mem", "0x10"),
])
def test_crash_inside_libc(programs, daemon, opt, case, caller, libc_fn, addr):
    args = ("memcpy",) if case == "memcpy" else ()
    prog, ev = crash_and_check(programs, daemon, "libc_crash.c", args=args, flags=(opt,),
                               expect_sig=signal.SIGSEGV)
    top = ev["stacktrace"][-1]
    assert not top["in_app"] and "libc.so" in top["module"]
    assert libc_fn in (top["function"] or ""), top
    assert_order(ev, "main", caller)
    assert base_function(ev["stacktrace"][-2]["function"]) == caller
    assert f"called from {caller}" in ev["message"], ev["message"]
    assert_segv_message(ev, addr)
    check_against_gdb(ev, prog, args, "libc_crash.c")


@pytest.mark.parametrize("opt", OPTS)
def test_crash_in_worker_thread(programs, daemon, opt):
    prog, ev = crash_and_check(programs, daemon, "thread_crash.c", flags=(opt,),
                               expect_sig=signal.SIGSEGV)
    assert ev["context"]["thread"]["name"] == "worker-7"
    assert ev["context"]["thread"]["tid"] != ev["context"]["process"]["pid"]
    assert_segv_message(ev, "0x0")
    assert_order(ev, "start_thread", "worker", "process_job")
    assert base_function(ev["stacktrace"][-1]["function"]) == "process_job"
    assert "main" not in [base_function(f) for f in functions(ev)]   # another thread's stack
    # the shim's own pthread_create trampoline is not part of the stack
    assert not any("thread_trampoline" in f for f in functions(ev))
    check_against_gdb(ev, prog, (), "thread_crash.c")


@pytest.mark.parametrize("opt", OPTS)
@pytest.mark.parametrize("where", ["main", "thread"])
def test_stack_overflow(programs, daemon, where, opt):
    args = ("thread",) if where == "thread" else ()
    prog, ev = crash_and_check(programs, daemon, "overflow.c", args=args, flags=(opt,),
                               expect_sig=signal.SIGSEGV)
    assert "stack overflow" in ev["message"]
    assert ev["context"]["signal"].get("stack_overflow") is True
    assert base_function(ev["stacktrace"][-1]["function"]) == "descend"
    # both ends of the recursion are kept, the middle is counted
    assert ev["context"]["thread"].get("frames_omitted", 0) > 1000
    outer = "worker" if where == "thread" else "main"
    assert_order(ev, outer, "descend")
    if where == "thread":
        assert ev["context"]["thread"]["name"] == "deep-worker"
    # gdb's innermost frames only: the whole recursion is ~15000 deep
    check_against_gdb(ev, prog, args, "overflow.c", commands=("bt 3",), whole=False)


@pytest.mark.parametrize("opt", OPTS)
def test_cpp_method_in_namespace(programs, daemon, opt):
    prog, ev = crash_and_check(programs, daemon, "cpp_ns.cpp", flags=(opt,),
                               expect_sig=signal.SIGSEGV)
    charge_name = "shop::billing::charge<std::vector<long, std::allocator<long> > const*>"
    assert_order(ev, "main", charge_name, "shop::billing::Invoice::total")
    # the last frames may be libstdc++'s inlined iterator code: not the app's
    assert base_function(top_app_frame(ev)["function"]) == "shop::billing::Invoice::total"
    charge = [f for f in ev["stacktrace"] if (f["function"] or "").startswith(charge_name)]
    # named as gdb names it; the full demangled signature rides along
    assert charge[0]["function"] == charge_name
    assert charge[0]["symbol"].startswith("long shop::billing::charge<")
    assert charge[0]["symbol"].endswith("std::vector<long, std::allocator<long> > const*)")
    check_against_gdb(ev, prog, (), "cpp_ns.cpp")


@pytest.mark.parametrize("opt", OPTS)
@pytest.mark.parametrize("mode", ["one", "deep"])
def test_tail_call_frames_like_gdb(programs, daemon, opt, mode):
    """At -O2 middle() jumps to leaf() (and with "deep" outer() to middle()):
    those frames are only in the DWARF call site information, from which
    gdb shows them.  The report shows them too, marked as tail calls."""
    prog, ev = crash_and_check(programs, daemon, "tailcall.c", args=(mode,), flags=(opt,),
                               expect_sig=signal.SIGSEGV)
    assert_segv_message(ev, "0x0")
    chain = ["main", "outer", "middle", "leaf"] if mode == "deep" else ["main", "middle", "leaf"]
    assert_order(ev, *chain)
    fns = [base_function(f) for f in functions(ev)]
    assert fns[-len(chain):] == chain, fns
    tail = [base_function(f["function"]) for f in ev["stacktrace"] if f.get("tail_call")]
    if opt == "-O2":
        assert tail == chain[1:-1], ev["stacktrace"]
        for f in ev["stacktrace"][-len(chain) + 1:-1]:
            assert f["vars"] == {"p": "<optimized out>"}, f   # no registers of its own
    else:
        assert tail == []
    check_against_gdb(ev, prog, (mode,), "tailcall.c")


def test_crash_in_shared_library(programs, daemon):
    lib = programs.shared_lib("libcrashy.c", "libcrashy.so")
    prog = programs.build("use_shlib.c", libs=(lib, "-Wl,-rpath," + os.path.dirname(lib)))
    plain = run_plain(prog)
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == plain.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    check_shape(ev, signal.SIGSEGV)
    top = ev["stacktrace"][-1]
    assert top["function"] == "crashy_parse" and top["module"] == lib
    assert top["in_app"] is True                         # outside the system directories
    assert_order(ev, "main", "crashy_parse")
    assert_segv_message(ev, "0x8")                       # input[2] of a NULL int *
    check_against_gdb(ev, prog, (), "libcrashy.c")
    mods = {m["path"]: m for m in ev["context"]["modules"]}
    assert lib in mods and prog in mods
    assert mods[lib]["build_id"] and mods[prog]["build_id"]


def test_two_threads_crash_at_once(programs, daemon):
    prog = programs.build("two_threads.c")
    plain = run_plain(prog)
    pids = []
    for _ in range(3):
        t = time.monotonic()
        res, pid = run_shim(prog, sock=daemon.socket, timeout=30)
        assert res.returncode == plain.returncode == -signal.SIGSEGV
        assert time.monotonic() - t < 10                 # no deadlock between the two
        ev = daemon.event_for_pid(pid)
        check_shape(ev, signal.SIGSEGV)
        assert_segv_message(ev, "0x0")
        assert_order(ev, "worker", "fault")
        pids.append(pid)
    time.sleep(0.5)
    got = [e["context"]["process"]["pid"] for e in daemon.events()]
    assert sorted(got) == sorted(pids)                   # one report per crash
    # both threads run the same code: whichever is reported, gdb agrees
    check_against_gdb(ev, prog, (), "two_threads.c")


def test_handler_installed_by_program_still_runs(programs, daemon):
    prog = programs.build("own_handler.c")
    plain = run_plain(prog)
    res, _ = run_shim(prog, sock=daemon.socket)
    assert plain.returncode == res.returncode == 42
    assert res.stdout == plain.stdout == "handled\n"


def test_handler_installed_before_the_shim_runs_after_report(programs, daemon):
    lib = programs.shared_lib("earlier_handler.c", "libearlier.so")
    prog = programs.build("crash_null.c")
    plain = run_plain(prog, env={"LD_PRELOAD": lib})
    assert plain.returncode == 43 and plain.stdout == "earlier handler\n"
    # preloaded after the shim, its constructor runs before the shim's
    res, pid = run_shim(prog, sock=daemon.socket, env={"LD_PRELOAD": f"{SHIM} {lib}"})
    assert res.returncode == plain.returncode and res.stdout == plain.stdout
    ev = daemon.event_for_pid(pid)
    check_shape(ev, signal.SIGSEGV)
    assert base_function(ev["stacktrace"][-1]["function"]) == "credit"


def test_core_dump_and_status_unchanged(programs, daemon, tmp_path):
    """Same wait status as without the shim, core flag included."""
    import resource
    prog = programs.build("crash_null.c")

    def status(env):
        def limits():
            resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,
                                                      resource.RLIM_INFINITY))
        p = subprocess.Popen([prog], env=env, cwd=tmp_path, preexec_fn=limits,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, st = os.waitpid(p.pid, 0)
        p.returncode = 0
        return st

    plain_env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    a = status(plain_env)
    b = status(shim_env(daemon.socket))
    assert os.WIFSIGNALED(a) and os.WIFSIGNALED(b)
    assert os.WTERMSIG(a) == os.WTERMSIG(b) == signal.SIGSEGV
    assert os.WCOREDUMP(a) == os.WCOREDUMP(b)


@pytest.mark.parametrize("case,sig,words,site", [
    ("ill", signal.SIGILL, "SIGILL: illegal", "illegal"),
    ("bus", signal.SIGBUS, "SIGBUS: invalid", "bus_error"),
    ("trap", signal.SIGTRAP, "SIGTRAP:", "breakpoint"),
    ("sys", signal.SIGSYS, "SIGSYS: sent by tkill() or raise()", "bad_syscall"),
    ("seccomp", signal.SIGSYS, "SIGSYS: system call blocked by seccomp", "seccomp_refusal"),
])
def test_every_fatal_signal(programs, daemon, case, sig, words, site):
    prog = programs.build("signals.c")
    plain = run_plain(prog, case)
    if case == "seccomp" and plain.returncode == 3:
        pytest.skip(f"this machine refuses seccomp filters: {plain.stderr.strip()}")
    res, pid = run_shim(prog, case, sock=daemon.socket)
    assert res.returncode == plain.returncode == -sig
    ev = daemon.event_for_pid(pid)
    check_shape(ev, sig)
    assert ev["message"].startswith(words), ev["message"]
    assert_order(ev, "main", site)


def test_signal_sent_by_another_process(programs, daemon):
    prog = programs.build("signals.c")
    p = subprocess.Popen([prog, "wait"], env=shim_env(daemon.socket))
    time.sleep(0.3)
    os.kill(p.pid, signal.SIGSEGV)
    assert p.wait(10) == -signal.SIGSEGV
    ev = daemon.event_for_pid(p.pid)
    assert ev["message"].startswith("SIGSEGV: sent by kill()"), ev["message"]
    assert ev["context"]["signal"]["code_name"] == "SI_USER"
    assert_order(ev, "main", "wait_to_be_killed")


def test_fault_inside_the_handler_ends_the_process(programs, daemon):
    """A crash in the crash handler: the process dies of it at once, no loop."""
    lib = programs.shared_lib("faulty_open.c", "libfaulty_open.so")
    prog = programs.build("divzero.c")
    t = time.monotonic()
    res, _ = run_shim(prog, sock=daemon.socket, env={"LD_PRELOAD": f"{lib} {SHIM}"})
    assert time.monotonic() - t < 5
    assert res.returncode == -signal.SIGSEGV       # the handler's own fault, not a hang


@pytest.mark.parametrize("opt", ["0", "2"])
def test_rust_null_dereference(tmp_path, daemon, opt):
    """Any ELF program: a Rust one gets Rust names (demangled, no hash, as
    gdb shows them), files and lines, and dies as it would have."""
    rustc = shutil.which("rustc")
    if not rustc:
        pytest.skip("no rustc on this machine (.ci/deps.sh installs Debian's)")
    prog = str(tmp_path / "rust_crash")
    subprocess.run([rustc, "-g", "-C", f"opt-level={opt}", "-C", "debug-assertions=off",
                    "-o", prog, os.path.join(PROGRAMS, "rust_crash.rs")],
                   check=True, capture_output=True)
    plain = run_plain(prog)
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == plain.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    check_shape(ev, signal.SIGSEGV)
    assert_order(ev, "rust_crash::main", "rust_crash::settle", "rust_crash::credit")
    assert ev["message"].endswith(" in rust_crash::credit"), ev["message"]
    assert not any("::h" in (f["function"] or "") or (f["function"] or "").startswith("_R")
                   for f in ev["stacktrace"]), functions(ev)
    check_against_gdb(ev, prog, (), "rust_crash.rs")
    if opt == "0":      # &str and String as text (gdb without rust-gdb shows "...")
        settle = [f for f in ev["stacktrace"] if f["function"] == "rust_crash::settle"][0]
        assert settle["vars"]["label"] == '"monthly fees"', settle["vars"]
        assert settle["vars"]["note"] == '"settling 3 for monthly fees"', settle["vars"]
        assert settle["vars"]["rounds"] == "3" and settle["vars"]["acct"] == "0x0"


@pytest.mark.parametrize("rustc", ["/usr/bin/rustc", os.path.expanduser("~/.cargo/bin/rustc")],
                         ids=["debian", "rustup"])
def test_rust_panic_with_panic_abort(tmp_path, daemon, rustc):
    """panic = "abort": reported as a Rust panic where the program's own
    code panicked, in the words its hook printed (the shim saw them go to
    stderr); the standard library's frames are not the app's."""
    if not shutil.which(rustc):
        pytest.skip(f"no {rustc} on this machine (.ci/deps.sh installs Debian's)")
    prog = str(tmp_path / "rust_panic")
    source = os.path.join(PROGRAMS, "rust_panic.rs")
    subprocess.run([rustc, "-g", "-C", "panic=abort", "-o", prog, source], check=True,
                   capture_output=True)
    plain = run_plain(prog, env={"RUST_BACKTRACE": "0"})
    res, pid = run_shim(prog, sock=daemon.socket, env={"RUST_BACKTRACE": "0"})
    assert res.returncode == plain.returncode == -signal.SIGABRT
    assert "amount must be a number" in res.stderr          # Rust's own message, untouched
    assert re.sub(r" \(\d+\) panicked", "", res.stderr) == re.sub(r" \(\d+\) panicked", "",
                                                                 plain.stderr)
    ev = daemon.event_for_pid(pid)
    check_shape(ev, signal.SIGABRT)
    assert re.fullmatch(re.escape("SIGABRT: Rust panic in rust_panic::parse_amount: amount must be "
                                  "a number: ParseIntError { kind: InvalidDigit } (at " + source
                                  + ":5:") + r"\d+\)", ev["message"]), ev["message"]
    assert ev["context"]["thread"]["name"] == "main"
    assert_order(ev, "rust_panic::main", "rust_panic::parse_amount")
    app = [f["function"] for f in ev["stacktrace"] if f["in_app"]]
    assert app[-2:] == ["rust_panic::main", "rust_panic::parse_amount"], app
    # std's frames (rustup's /rustc/..., Debian's /usr/src/rustc-...) are not the app's
    assert all(f["filename"].startswith(PROGRAMS) for f in ev["stacktrace"]
               if f["in_app"] and f["lineno"]), ev["stacktrace"]
