"""Handled errors never wait, and identical events are grouped: a retry
loop reporting the same message 3,000 times reaches the spool as a few
events whose repeats add up to every one of them; a crash-looping program
is grouped the same way."""
import os
import signal
import subprocess
import time

from conftest import CLI, linked, run_shim, wait_for


def repeats_total(events):
    return sum(1 + e["context"].get("repeats", {}).get("count", 0) for e in events)


def test_a_message_loop_is_grouped_and_no_count_is_lost(make_daemon, programs):
    d = make_daemon("group_window_s = 2\ngroup_burst = 10\n")
    prog = linked(programs, "message_loop.c")
    res, _ = run_shim(prog, "3000", sock=d.socket)
    assert res.returncode == 0, res.stderr
    taken = int(res.stdout.split()[1])
    assert taken >= 2900, res.stdout                 # the backlog took (nearly) all

    def ours():
        return [e for e in d.events() if e["message"].startswith("payment gateway")]
    assert wait_for(lambda: repeats_total(ours()) == taken, 10), \
        (repeats_total(ours()), taken, len(ours()))
    evs = ours()
    assert len(evs) <= 100, len(evs)
    held = [e for e in evs if "repeats" in e["context"]]
    assert held and all(e["context"]["repeats"]["first"] <= e["context"]["repeats"]["last"]
                        for e in held)
    out = subprocess.run([CLI, "-c", d.config, "status"], capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith(f"uid {os.getuid()} "))
    assert f"{taken - len(evs)} more held back as repeats" in line, out


def test_a_message_never_waits_for_the_daemon(make_daemon, programs):
    """capture_message with the daemon stopped: it returns at once (the
    record waits in the socket), where capture_error waits its bound."""
    d = make_daemon("group_window_s = 1\n")
    prog = linked(programs, "message_loop.c")
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        t = time.monotonic()
        res, _ = run_shim(prog, "20", sock=d.socket, env={"BOOBOO_HOLD_TIMEOUT_MS": "3000"})
        took = time.monotonic() - t
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    assert res.returncode == 0 and res.stdout.startswith("taken 20"), res.stdout
    assert took < 1.0, took
    assert wait_for(lambda: repeats_total([e for e in d.events()
                                          if e["message"].startswith("payment")]) == 20, 10)


def test_a_crash_loop_is_grouped(make_daemon, programs):
    d = make_daemon("group_window_s = 2\ngroup_burst = 3\n")
    prog = programs.build("crash_null.c")
    pids = []
    for _ in range(12):
        res, pid = run_shim(prog, sock=d.socket)
        assert res.returncode == -signal.SIGSEGV
        pids.append(pid)
    assert wait_for(lambda: repeats_total(d.events()) == 12, 10), \
        (repeats_total(d.events()), d.log())
    evs = d.events()
    assert len(evs) <= 5, len(evs)
    assert all(e["context"]["process"]["pid"] in pids for e in evs)
    flushed = [e for e in evs if "repeats" in e["context"]]
    assert flushed and flushed[-1]["stacktrace"][-1]["function"] == "credit"
