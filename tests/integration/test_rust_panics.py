"""Rust panics with rustc's default strategy (panic = "unwind"), from a
program run under the shim unchanged, with Debian's rustc and with
rustup's when it is there: the main thread's (exit status 101), a spawned
thread's (the thread dies, the program goes on), panics caught in a loop
(each reported as Sentry's SDK does: the site's first with its stack, the
others as its repeats, cheaply), a hook that prints nothing, a resumed
panic.  The program behaves exactly as without the shim: same status,
same stdout, same stderr."""
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import PROGRAMS, events_of, run_plain, run_shim, wait_for

SOURCE = os.path.join(PROGRAMS, "rust_unwind.rs")
RUSTUP = os.path.expanduser("~/.cargo/bin/rustc")
TOOLCHAINS = pytest.mark.parametrize("rustc", ["/usr/bin/rustc", RUSTUP], ids=["debian", "rustup"])
STD_MACHINERY = ("rust_begin_unwind", "core::panicking::panic_fmt")


def panics_line(tag):
    """The line of rust_unwind.rs marked `PANICS: tag`."""
    with open(SOURCE) as f:
        for n, line in enumerate(f, 1):
            if f"// PANICS: {tag}" in line:
                return n
    raise AssertionError(f"no PANICS: {tag} in {SOURCE}")


@pytest.fixture
def build(tmp_path):
    def make(rustc):
        if not shutil.which(rustc):
            pytest.skip(f"no {rustc} here (.ci/deps.sh installs Debian's)")
        prog = str(tmp_path / f"rust_unwind_{abs(hash(rustc)) % 1000}")
        subprocess.run([rustc, "-g", "-C", "opt-level=0", "-o", prog, SOURCE], check=True,
                       capture_output=True)
        return prog
    return make


# RUST_BACKTRACE from the environment would print backtraces: none here
NO_BACKTRACE = {"RUST_BACKTRACE": "0"}


def without_thread_ids(stderr):
    """rustc 1.8x on prints the thread's id in the header: another run,
    another id."""
    return re.sub(r"^(thread '[^\n]*') \(\d+\) panicked", r"\1 panicked", stderr, flags=re.M)


def same_behaviour(plain, res):
    assert res.returncode == plain.returncode, (res.returncode, plain.returncode, res.stderr)
    assert res.stdout == plain.stdout
    assert without_thread_ids(res.stderr) == without_thread_ids(plain.stderr)


def top_in_app(ev):
    """The first in_app frame from the top (the crash frame is last)."""
    return next(f for f in reversed(ev["stacktrace"]) if f["in_app"])


def check_panic(ev, message, tag, function, thread):
    assert ev["exception_type"] == "RustPanic"
    line = panics_line(tag)
    assert re.fullmatch(re.escape(f"{message} (at {SOURCE}:{line}:") + r"\d+\)", ev["message"]), \
        ev["message"]
    assert ev["exceptions"][0]["value"] == ev["message"]
    assert ev["context"]["thread"]["name"] == thread
    assert ev["level"] == "error"
    top = top_in_app(ev)
    assert (top["function"], top["filename"], top["lineno"]) == (function, SOURCE, line), top
    # the standard library's panic machinery is there, and not the app's
    names = [f["function"] for f in ev["stacktrace"]]
    for fn in STD_MACHINERY:
        assert any(n in (fn, "__rustc::" + fn) for n in names), names
    below = ev["stacktrace"][ev["stacktrace"].index(top) + 1:]
    assert below and not any(f["in_app"] for f in below), below
    return top


def events_settled(daemon, pid, n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        evs = events_of(daemon, pid)
        if len(evs) >= n:
            time.sleep(0.5)     # and no more come
            return events_of(daemon, pid)
        time.sleep(0.1)
    return events_of(daemon, pid)


@TOOLCHAINS
def test_main_thread_panic(build, daemon, rustc):
    """expect() on an Err in main's callee: exit status 101, one event,
    the panic message and where, the in_app frame at the panicking line,
    its locals."""
    prog = build(rustc)
    plain = run_plain(prog, env=NO_BACKTRACE)
    res, pid = run_shim(prog, sock=daemon.socket, env=NO_BACKTRACE)
    same_behaviour(plain, res)
    assert res.returncode == 101
    ev = daemon.event_for_pid(pid)
    top = check_panic(ev, 'config must exist: Os { code: 2, kind: NotFound, message: "No such '
                      'file or directory" }', "main", "rust_unwind::load_config", "main")
    assert top["vars"]["path"] == '"/nonexistent/booboo/app.toml"', top["vars"]
    assert "result::unwrap_failed" in " ".join(f["function"] for f in ev["stacktrace"])
    assert len(events_settled(daemon, pid, 1)) == 1


@TOOLCHAINS
@pytest.mark.parametrize("mode,thread", [("thread", "<unnamed>"),
                                         ("named", "ledger-writer-thread"),
                                         ("small", "<unnamed>")])
def test_worker_thread_panic(build, daemon, rustc, mode, thread):
    """A spawned thread indexes past the end of a Vec: it dies, the
    program goes on (exit 0); one event, named by Rust's name for the
    thread, whole (the kernel keeps 15 characters); on the smallest stack
    Rust gives a thread, too (the shim's record is not on it)."""
    prog = build(rustc)
    plain = run_plain(prog, mode, env=NO_BACKTRACE)
    res, pid = run_shim(prog, mode, sock=daemon.socket, env=NO_BACKTRACE)
    same_behaviour(plain, res)
    assert res.returncode == 0 and res.stdout == "worker ended: panicked\n"
    ev = daemon.event_for_pid(pid)
    top = check_panic(ev, "index out of bounds: the len is 2 but the index is 5", "thread",
                      "rust_unwind::pick", thread)
    assert top["vars"]["index"] == "5" and top["vars"]["scale"] == "10", top["vars"]
    assert ev["context"]["thread"]["tid"] != pid
    assert len(events_settled(daemon, pid, 1)) == 1


@TOOLCHAINS
def test_panics_caught_in_a_loop_are_one_event_and_its_repeats(build, daemon, rustc):
    """catch_unwind around a panicking call, 3000 times: the site's first
    panic is reported with its stack, the others count as its repeats (the
    shim sends their count, the daemon groups them): every panic is
    counted once."""
    prog = build(rustc)
    n = 3000
    plain = run_plain(prog, "loop", str(n), env=NO_BACKTRACE)
    res, pid = run_shim(prog, "loop", str(n), sock=daemon.socket, env=NO_BACKTRACE)
    assert res.returncode == plain.returncode == 0
    assert res.stdout.startswith(f"caught {n} of {n} panics")
    assert without_thread_ids(res.stderr) == without_thread_ids(plain.stderr)
    evs = events_settled(daemon, pid, 2)
    assert 1 <= len(evs) <= 2, [e.get("context", {}).get("repeats") for e in evs]
    for ev in evs:
        check_panic(ev, "index out of bounds: the len is 2 but the index is 5", "thread",
                    "rust_unwind::pick", "main")
    assert sum(1 + e["context"].get("repeats", {}).get("count", 0) for e in evs) == n
    assert "repeats" not in evs[0]["context"]


@TOOLCHAINS
def test_a_hook_that_prints_nothing(build, daemon, rustc):
    """A program's own panic hook that prints nothing: still reported, at
    the panicking line, with the message read from the panic's payload."""
    prog = build(rustc)
    plain = run_plain(prog, "silent", env=NO_BACKTRACE)
    res, pid = run_shim(prog, "silent", sock=daemon.socket, env=NO_BACKTRACE)
    same_behaviour(plain, res)
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "RustPanic"
    assert ev["message"] == ("index out of bounds: the len is 1 but the index is 3 (in "
                             "rust_unwind::pick)"), ev["message"]
    top = top_in_app(ev)
    assert (top["function"], top["lineno"]) == ("rust_unwind::pick", panics_line("thread"))
    res, pid = run_shim(prog, "silent_any", sock=daemon.socket, env=NO_BACKTRACE)
    assert res.returncode == 101
    ev = daemon.event_for_pid(pid)
    assert ev["message"] == ("panic in rust_unwind::main (its message unknown: the program's "
                             "own panic hook did not print Rust's words, and it is no string)")
    top = top_in_app(ev)
    assert (top["function"], top["lineno"]) == ("rust_unwind::main", panics_line("any"))


@TOOLCHAINS
def test_a_resumed_panic(build, daemon, rustc):
    """A thread's panic, resumed in main by resume_unwind: the thread's
    panic with its message, and main's end, said to be that panic resumed."""
    prog = build(rustc)
    plain = run_plain(prog, "resume", env=NO_BACKTRACE)
    res, pid = run_shim(prog, "resume", sock=daemon.socket, env=NO_BACKTRACE)
    same_behaviour(plain, res)
    assert res.returncode == 101
    evs = events_settled(daemon, pid, 2)
    by_thread = {e["context"]["thread"]["tid"]: e for e in evs}
    assert len(evs) == 2 and pid in by_thread, [e["message"] for e in evs]
    main = by_thread.pop(pid)
    assert main["message"] == ("panic resumed by std::panic::resume_unwind in rust_unwind::main: "
                               "index out of bounds: the len is 1 but the index is 7"), main["message"]
    worker = list(by_thread.values())[0]
    assert worker["message"].startswith("index out of bounds: the len is 1 but the index is 7")


@TOOLCHAINS
def test_no_daemon_changes_nothing(build, tmp_path, rustc):
    """No daemon: the panics cost a failed connect, the program is as it
    was."""
    prog = build(rustc)
    sock = str(tmp_path / "none.sock")
    for args in ((), ("thread",), ("loop", "300")):
        plain = run_plain(prog, *args, env=NO_BACKTRACE)
        t = time.monotonic()
        res, _ = run_shim(prog, *args, sock=sock, env=NO_BACKTRACE)
        assert time.monotonic() - t < 5
        if args and args[0] == "loop":
            assert res.returncode == plain.returncode == 0
        else:
            same_behaviour(plain, res)


def test_booboo_run_shows_a_main_thread_panic(build, daemon):
    """`booboo run` shows the report of a Rust program whose main thread
    panicked (exit status 101, no signal), and passes the status on."""
    from test_cli import cli
    prog = build("/usr/bin/rustc")
    p = cli(daemon, "run", "--", prog, env=NO_BACKTRACE)
    assert p.returncode == 101
    assert "panicked (exit status 101); the report:" in p.stderr, p.stderr
    assert "config must exist: Os { code: 2" in p.stdout and "RustPanic" in p.stdout, p.stdout
    assert "> #" in p.stdout and "rust_unwind::load_config at " in p.stdout, p.stdout
    p = cli(daemon, "run", "--", prog, "thread", env=NO_BACKTRACE)     # the program goes on
    assert p.returncode == 0 and "the report" not in p.stderr


def test_ignore_errors_rust_panic(build, make_daemon):
    """ignore_errors = RustPanic: no event leaves the machine, counts
    included; the program is as it was."""
    d = make_daemon("ignore_errors = RustPanic")
    prog = build("/usr/bin/rustc")
    res, pid = run_shim(prog, "loop", "50", sock=d.socket, env=NO_BACKTRACE)
    assert res.returncode == 0
    res, pid = run_shim(prog, sock=d.socket, env=NO_BACKTRACE)
    assert res.returncode == 101
    assert wait_for(lambda: d.log().count("ignored (ignore_errors: RustPanic)") >= 3, 20), d.log()
    assert d.events() == []


def test_forged_panic_records(daemon):
    """The daemon checks a panic record as any other: a count with
    registers, a site's first panic without the process's descriptors, a
    count of a site it never saw (it waits for a first report that never
    comes) make no event; the daemon goes on."""
    from test_intake import CONSTS, record, send
    panic = CONSTS["BB_REC_PANIC"]
    now = int(time.time())
    bad = [record(kind=panic, level=b"error", panic_count=3, panic_first_sec=now, has_regs=1),
           record(kind=panic, level=b"error", panic_site=7),
           record(kind=panic, level=b"error", panic_count=1, panic_first_sec=now + 10),
           record(kind=CONSTS["BB_REC_ERROR"], level=b"error", panic_site=7)]
    for data in bad:
        assert send(daemon.socket, data)[4:] == b"\x01\x00\x00\x00"     # refused
    ok = record(kind=panic, level=b"error", panic_site=9, panic_count=5, panic_first_sec=now,
                message=b"never seen")
    assert send(daemon.socket, ok)[4:] == b"\x00\x00\x00\x00"
    assert "a panic count with registers" in daemon.log()      # logged once a while
    time.sleep(1)
    assert daemon.events() == [] and daemon.alive()


@TOOLCHAINS
@pytest.mark.parametrize("backtrace", ["1", "full"])
def test_with_rust_backtrace(build, daemon, rustc, backtrace):
    """RUST_BACKTRACE: the hook prints a backtrace after its words; the
    words are still the message."""
    prog = build(rustc)
    res, pid = run_shim(prog, "thread", sock=daemon.socket, env={"RUST_BACKTRACE": backtrace})
    assert res.returncode == 0 and "stack backtrace:" in res.stderr
    check_panic(daemon.event_for_pid(pid), "index out of bounds: the len is 2 but the index is 5",
                "thread", "rust_unwind::pick", "<unnamed>")
