"""Issue 2: real crashing programs under the shim with the real daemon.
Each asserts the event's type, message and frame order, that the app's
own top frame is where gdb says it is, and that the program dies exactly
as it does without the shim."""
import os
import re
import signal
import time

import pytest

from conftest import (base_function, gdb_frames, gdb_top_app_frame, run_plain, run_shim,
                      top_app_frame, wait_for, SHIM)


def check_against_gdb(event, prog, args, source):
    frames, out = gdb_frames(prog, *args)
    want = gdb_top_app_frame(frames, source)
    assert want, f"gdb found no frame in {source}:\n{out}"
    got = top_app_frame(event)
    assert got, f"no in-app frame with a file in {event['stacktrace']}"
    assert base_function(got["function"]) == base_function(want["function"]), (got, want)
    assert os.path.basename(got["filename"]) == os.path.basename(want["file"])
    assert got["lineno"] == want["line"], (got, want["raw"])


def crash_and_check(programs, daemon, source, args=(), flags=("-O0",), expect_sig=None):
    prog = programs.build(source, flags)
    plain = run_plain(prog, *args)
    res, pid = run_shim(prog, *args, sock=daemon.socket)
    assert res.returncode == plain.returncode, (res.returncode, plain.returncode, res.stderr)
    if expect_sig:
        assert res.returncode == -expect_sig
    ev = daemon.event_for_pid(pid)
    return prog, ev


def functions(ev):
    return [f.get("function") or "" for f in ev["stacktrace"]]


def assert_order(ev, *names):
    """names appear in this order (oldest call first) in the stack."""
    fns = [base_function(f) for f in functions(ev)]
    pos = [fns.index(n) for n in names]
    assert pos == sorted(pos), (names, fns)


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_null_dereference(programs, daemon, opt):
    prog, ev = crash_and_check(programs, daemon, "crash_null.c", flags=(opt,),
                               expect_sig=signal.SIGSEGV)
    assert ev["exception_type"] == "SIGSEGV"
    assert ev["message"].startswith("SIGSEGV: ")
    assert "address not mapped" in ev["message"]
    assert ev["context"]["signal"]["code_name"] == "SEGV_MAPERR"
    assert ev["context"]["signal"]["address"] == "0x8"
    # -O0 loads then stores; -O2 adds to memory in one instruction (a write)
    assert re.search(r"invalid (read|write) at 0x8 ", ev["message"]), ev["message"]
    assert ev["level"] == "error"
    assert ev["tags"]["runtime"] == "native"
    assert ev["context"]["sdk"]["name"] == "booboo-native"
    assert_order(ev, "main", "settle", "credit")
    assert base_function(ev["stacktrace"][-1]["function"]) == "credit"
    assert ev["exceptions"][0]["type"] == "SIGSEGV"
    assert ev["exceptions"][0]["value"] == ev["message"]
    assert ev["exceptions"][0]["chain_type"] is None
    assert [f.get("function") for f in ev["exceptions"][0]["stacktrace"]] == functions(ev)
    check_against_gdb(ev, prog, (), "crash_null.c")


def test_abort(programs, daemon):
    prog, ev = crash_and_check(programs, daemon, "abort.c", expect_sig=signal.SIGABRT)
    assert ev["exception_type"] == "SIGABRT"
    assert "abort" in ev["message"]
    assert_order(ev, "main", "give_up")
    # libc's frames sit on top of the program's, as in gdb
    assert not ev["stacktrace"][-1]["in_app"]
    check_against_gdb(ev, prog, (), "abort.c")


def test_integer_division_by_zero(programs, daemon):
    prog, ev = crash_and_check(programs, daemon, "divzero.c", expect_sig=signal.SIGFPE)
    assert ev["exception_type"] == "SIGFPE"
    assert "integer divide by zero" in ev["message"]
    assert ev["context"]["signal"]["code_name"] == "FPE_INTDIV"
    assert_order(ev, "main", "average")
    check_against_gdb(ev, prog, (), "divzero.c")


def test_crash_inside_libc(programs, daemon):
    prog, ev = crash_and_check(programs, daemon, "libc_crash.c", expect_sig=signal.SIGSEGV)
    top = ev["stacktrace"][-1]
    assert not top["in_app"] and "libc.so" in top["module"]
    assert "strlen" in (top["function"] or "")
    assert_order(ev, "main", "name_length")
    assert "called from name_length" in ev["message"]
    check_against_gdb(ev, prog, (), "libc_crash.c")


def test_crash_in_worker_thread(programs, daemon):
    prog, ev = crash_and_check(programs, daemon, "thread_crash.c", expect_sig=signal.SIGSEGV)
    assert ev["context"]["thread"]["name"] == "worker-7"
    assert ev["context"]["thread"]["tid"] != ev["context"]["process"]["pid"]
    assert_order(ev, "worker", "process_job")
    # the shim's own pthread_create trampoline is not part of the stack
    assert not any("thread_trampoline" in f for f in functions(ev))
    check_against_gdb(ev, prog, (), "thread_crash.c")


@pytest.mark.parametrize("where", ["main", "thread"])
def test_stack_overflow(programs, daemon, where):
    args = ("thread",) if where == "thread" else ()
    prog, ev = crash_and_check(programs, daemon, "overflow.c", args=args,
                               expect_sig=signal.SIGSEGV)
    assert ev["exception_type"] == "SIGSEGV"
    assert "stack overflow" in ev["message"]
    assert ev["context"]["signal"].get("stack_overflow") is True
    assert base_function(ev["stacktrace"][-1]["function"]) == "descend"
    # both ends of the recursion are kept, the middle is counted
    assert ev["context"]["thread"].get("frames_omitted", 0) > 1000
    outer = "worker" if where == "thread" else "main"
    assert outer in [base_function(f) for f in functions(ev)]
    if where == "thread":
        assert ev["context"]["thread"]["name"] == "deep-worker"


def test_cpp_method_in_namespace(programs, daemon):
    prog, ev = crash_and_check(programs, daemon, "cpp_ns.cpp", expect_sig=signal.SIGSEGV)
    fns = [base_function(f) for f in functions(ev)]
    assert "shop::billing::Invoice::total" in fns
    charge = [f for f in ev["stacktrace"] if (f["function"] or "").startswith("shop::billing::charge")]
    # named as gdb names it; the full demangled signature rides along
    assert charge[0]["function"] == \
        "shop::billing::charge<std::vector<long, std::allocator<long> > const*>"
    assert charge[0]["symbol"].startswith("long shop::billing::charge<")
    assert charge[0]["symbol"].endswith("std::vector<long, std::allocator<long> > const*)")
    assert_order(ev, "main", "shop::billing::charge<std::vector<long, std::allocator<long> > const*>",
                 "shop::billing::Invoice::total")
    check_against_gdb(ev, prog, (), "cpp_ns.cpp")


def test_crash_in_shared_library(programs, daemon, tmp_path):
    lib = programs.shared_lib("libcrashy.c", "libcrashy.so")
    prog = programs.build("use_shlib.c", libs=(lib, "-Wl,-rpath," + os.path.dirname(lib)))
    plain = run_plain(prog)
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == plain.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    top = ev["stacktrace"][-1]
    assert top["function"] == "crashy_parse" and top["module"].endswith("libcrashy.so")
    assert top["in_app"] is True                         # outside the system directories
    assert os.path.basename(top["filename"]) == "libcrashy.c"
    frames, out = gdb_frames(prog)
    assert frames[0]["function"] == "crashy_parse" and frames[0]["line"] == top["lineno"], out
    mods = [m["path"] for m in ev["context"]["modules"]]
    assert lib in mods
    assert all(m["build_id"] for m in ev["context"]["modules"] if m["path"] in (lib, prog))


def test_two_threads_crash_at_once(programs, daemon):
    prog = programs.build("two_threads.c")
    for _ in range(3):
        t = time.monotonic()
        res, pid = run_shim(prog, sock=daemon.socket, timeout=30)
        assert res.returncode == -signal.SIGSEGV
        assert time.monotonic() - t < 10
        daemon.event_for_pid(pid)
    time.sleep(0.5)
    pids = [e["context"]["process"]["pid"] for e in daemon.events()]
    assert len(pids) == len(set(pids)) == 3              # one report per crash


def test_handler_installed_by_program_still_runs(programs, daemon):
    prog = programs.build("own_handler.c")
    plain = run_plain(prog)
    res, _ = run_shim(prog, sock=daemon.socket)
    assert plain.returncode == res.returncode == 42
    assert res.stdout == plain.stdout == "handled\n"


def test_handler_installed_before_the_shim_runs_after_report(programs, daemon):
    lib = programs.shared_lib("earlier_handler.c", "libearlier.so")
    prog = programs.build("crash_null.c")
    # preloaded after the shim, its constructor runs before the shim's
    res, pid = run_shim(prog, sock=daemon.socket, env={"LD_PRELOAD": f"{SHIM} {lib}"})
    assert res.returncode == 43 and res.stdout == "earlier handler\n"
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "SIGSEGV"


def test_core_dump_and_status_unchanged(programs, daemon, tmp_path):
    """Same wait status as without the shim, core flag included."""
    prog = programs.build("crash_null.c")
    import resource
    import subprocess

    def status(env):
        def limits():
            resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        p = subprocess.Popen([prog], env=env, cwd=tmp_path, preexec_fn=limits,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, st = os.waitpid(p.pid, 0)
        p.returncode = 0
        return st

    from conftest import shim_env
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
])
def test_every_fatal_signal(programs, daemon, case, sig, words, site):
    prog = programs.build("signals.c")
    plain = run_plain(prog, case)
    res, pid = run_shim(prog, case, sock=daemon.socket)
    assert res.returncode == plain.returncode == -sig
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == signal.Signals(sig).name
    assert ev["message"].startswith(words), ev["message"]
    assert site in [base_function(f["function"]) for f in ev["stacktrace"]]


def test_signal_sent_by_another_process(programs, daemon):
    import subprocess as sp
    from conftest import shim_env
    prog = programs.build("signals.c")
    p = sp.Popen([prog, "wait"], env=shim_env(daemon.socket))
    time.sleep(0.3)
    os.kill(p.pid, signal.SIGSEGV)
    assert p.wait(10) == -signal.SIGSEGV
    ev = daemon.event_for_pid(p.pid)
    assert ev["message"] == "SIGSEGV: sent by kill() in __libc_pause called from wait_to_be_killed" \
        or ev["message"].startswith("SIGSEGV: sent by kill()")
    assert ev["context"]["signal"]["code_name"] == "SI_USER"


def test_fault_inside_the_handler_ends_the_process(programs, daemon):
    """A crash in the crash handler: the process dies of it at once, no loop."""
    lib = programs.shared_lib("faulty_open.c", "libfaulty_open.so")
    prog = programs.build("divzero.c")
    t = time.monotonic()
    res, _ = run_shim(prog, sock=daemon.socket, env={"LD_PRELOAD": f"{lib} {SHIM}"})
    assert time.monotonic() - t < 5
    assert res.returncode == -signal.SIGSEGV       # the handler's own fault, not a hang
