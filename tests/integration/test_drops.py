"""Crashes survive the daemon's absence: with no daemon answering, the shim
writes a drop (common/drop.h) and the program dies at once; when the daemon
is back it reports every drop, read with the dropping user's rights, once.
Drops are untrusted input and private to their user."""
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import (CLI, PROGRAMS, SHIM, crash_in_secret_file, gdb_frames, gdb_top_app_frame,
                      run_shim, wait_for)

NOBODY = pwd.getpwnam("nobody").pw_uid


@pytest.fixture
def public():
    """A directory everyone can enter: the drop directory, the socket, a
    shim and programs nobody can run."""
    d = tempfile.mkdtemp(prefix="booboo-drops-")
    os.chmod(d, 0o755)
    shutil.copy(SHIM, os.path.join(d, "libbooboo-shim.so"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def drop_daemon(make_daemon, public, extra=""):
    """A daemon whose drop directory is PUBLIC/drops, started once (it makes
    the directory) and stopped: no daemon runs when the test begins."""
    d = make_daemon(f"drop_dir = {public}/drops\n{extra}",
                    socket_path=os.path.join(public, "booboo.sock"))
    d.stop()
    return d


def crash(prog, public, *args, user=None, env=None):
    e = {"BOOBOO_DROP_DIR": os.path.join(public, "drops"),
         "LD_PRELOAD": os.path.join(public, "libbooboo-shim.so")}
    e.update(env or {})
    t = time.monotonic()
    res, pid = run_shim(prog, *args, sock=os.path.join(public, "booboo.sock"), env=e, user=user)
    return res, pid, time.monotonic() - t


def drops_in(public):
    d = os.path.join(public, "drops")
    return sorted(os.path.join(d, n) for n in os.listdir(d))


def public_program(public, source, name, *flags):
    out = os.path.join(public, name)
    subprocess.run(["gcc", "-g", "-O0", *flags, "-o", out, os.path.join(PROGRAMS, source)],
                   check=True)
    os.chmod(out, 0o755)
    return out


# ---- the report ------------------------------------------------------------------------

def test_a_crash_while_no_daemon_runs_is_reported_when_it_starts(make_daemon, public):
    d = drop_daemon(make_daemon, public)
    prog = public_program(public, "locals.c", "locals")
    res, pid, took = crash(prog, public)
    assert res.returncode == -signal.SIGSEGV and took < 1.0   # dies at once, as before
    [drop] = drops_in(public)
    st = os.stat(drop)
    assert drop.endswith(".drop") and oct(st.st_mode & 0o777) == "0o600"
    d.start()
    ev = d.event_for_pid(pid)
    assert ev["context"]["drop"]["reported_late"] is True
    # frames, lines, source and the locals that lived on the stack, as gdb has them
    frames, _ = gdb_frames(prog)
    want = gdb_top_app_frame(frames, "locals.c")
    top = [f for f in ev["stacktrace"] if f["filename"].endswith("locals.c")][-1]
    assert (top["function"], top["lineno"]) == (want["function"], want["line"])
    assert top["context_line"].strip() and len(top["pre_context"]) == 5
    assert top["vars"], top
    assert ev["context"]["process"]["exe"] == prog
    assert wait_for(lambda: drops_in(public) == [], 5)     # reported: gone
    time.sleep(0.5)
    assert len([e for e in d.events() if e["context"]["process"]["pid"] == pid]) == 1


def test_a_stopped_daemon_loses_nothing_and_reports_once(make_daemon, public, programs):
    """The daemon is stopped (SIGSTOP): the shim's connection waits in the
    backlog, no answer comes within its hold, so it writes a drop and dies.
    Resumed, the daemon reports the crash exactly once."""
    d = drop_daemon(make_daemon, public)
    d.start()
    prog = public_program(public, "crash_null.c", "crash_null")
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        res, pid, took = crash(prog, public, env={"BOOBOO_HOLD_TIMEOUT_MS": "400"})
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    assert res.returncode == -signal.SIGSEGV and took < 1.5
    ev = d.event_for_pid(pid)
    assert ev["stacktrace"][-1]["function"] == "credit"
    assert wait_for(lambda: drops_in(public) == [], 10), drops_in(public)
    time.sleep(1)
    assert len([e for e in d.events() if e["context"]["process"]["pid"] == pid]) == 1


# ---- privacy and rights -------------------------------------------------------------------

def test_drops_are_private_to_their_user(make_daemon, public):
    drop_daemon(make_daemon, public)
    prog = public_program(public, "crash_null.c", "crash_null")
    res, pid, _ = crash(prog, public, user="nobody")
    [drop] = drops_in(public)
    assert os.stat(drop).st_uid == NOBODY
    other = ["setpriv", "--reuid=12345", "--regid=12345", "--clear-groups"]
    py = "import os, sys\n" \
         "for what, f in (('read', lambda: open(sys.argv[1]).read()),\n" \
         "                ('delete', lambda: os.unlink(sys.argv[1])),\n" \
         "                ('replace', lambda: os.rename(sys.argv[2], sys.argv[1])),\n" \
         "                ('list', lambda: os.listdir(os.path.dirname(sys.argv[1])))):\n" \
         "    try:\n" \
         "        f(); print(what, 'allowed')\n" \
         "    except OSError as e:\n" \
         "        print(what, 'refused', e.errno)\n"
    decoy = os.path.join(public, "drops", "decoy")
    r = subprocess.run([*other, "/usr/bin/python3", "-c", f"open('{decoy}', 'w')"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr                      # anyone may write a drop
    r = subprocess.run([*other, "/usr/bin/python3", "-c", py, drop, decoy],
                       capture_output=True, text=True)
    assert r.stdout.split("\n")[:4] == ["read refused 13", "delete refused 1",
                                        "replace refused 1", "list refused 13"], r.stdout


def test_a_drop_is_read_with_its_users_rights(make_daemon, public):
    """nobody's drop whose debug info names a file only root may read: no
    line of it in the event, reported as nobody's."""
    d = drop_daemon(make_daemon, public)
    prog, secret, marker = crash_in_secret_file(public)
    res, pid, _ = crash(prog, public, user="nobody")
    d.start()
    ev = d.event_for_pid(pid)
    assert ev["context"]["process"]["uid"] == NOBODY
    assert ev["stacktrace"][-1]["filename"] == secret
    assert marker not in json.dumps(d.events()) + d.log()


# ---- untrusted input -----------------------------------------------------------------------

def valid_drop(make_daemon, public, prog):
    res, pid, _ = crash(prog, public)
    [drop] = drops_in(public)
    with open(drop, "rb") as f:
        data = f.read()
    os.unlink(drop)
    return data, pid


def test_malformed_drops_are_removed_and_the_daemon_serves(make_daemon, public):
    d = drop_daemon(make_daemon, public)
    prog = public_program(public, "crash_null.c", "crash_null")
    good, pid = valid_drop(make_daemon, public, prog)
    dd = os.path.join(public, "drops")
    bad = {
        "empty.drop": b"",
        "magic.drop": b"XXDROP1\0" + good[8:],
        "short.drop": good[:100],
        "lying.drop": good[:-10],                      # lengths no longer the file's
        "huge.drop": good + b"\0" * (2 << 20),
        "version.drop": good[:8] + b"\x09\0\0\0" + good[12:],
    }
    for name, data in bad.items():
        with open(os.path.join(dd, name), "wb") as f:
            f.write(data)
    os.symlink("/etc/shadow", os.path.join(dd, "link.drop"))
    os.mkfifo(os.path.join(dd, "fifo.drop"))
    os.link(os.path.join(public, "crash_null"), os.path.join(dd, "hardlink.drop"))
    with open(os.path.join(dd, "good.drop"), "wb") as f:
        f.write(good)
    d.start()
    ev = d.event_for_pid(pid)
    assert ev["context"]["drop"]["reported_late"]
    assert wait_for(lambda: drops_in(public) == [], 10), drops_in(public)
    assert len(d.events()) == 1
    log = d.log()
    for why in ("not a booboo drop", "out of bounds or not the file's size",
                "too large", "a drop of another version", "not a regular file of one link"):
        assert why in log, (why, log)
    assert os.path.exists("/etc/shadow") and os.path.exists(os.path.join(public, "crash_null"))
    res, pid2, _ = crash(prog, public)                   # and it serves live crashes
    assert d.event_for_pid(pid2)["stacktrace"][-1]["function"] == "credit"


def test_too_many_drops_of_one_user_are_bounded(make_daemon, public):
    d = drop_daemon(make_daemon, public, "uid_max_drops = 5\n")
    prog = public_program(public, "crash_null.c", "crash_null")
    pids = [crash(prog, public, user="nobody")[1] for _ in range(12)]
    assert len(drops_in(public)) == 12
    d.start()
    assert wait_for(lambda: drops_in(public) == [], 15), drops_in(public)
    time.sleep(1)
    assert len(d.events()) == 5 and all(e["context"]["process"]["pid"] in pids for e in d.events())
    with open(os.path.join(d.spool, "status.json")) as f:
        users = json.load(f)["users"]
    assert users[str(NOBODY)]["drops_removed"] == 7, users
    out = subprocess.run([CLI, "-c", d.config, "status"], capture_output=True, text=True).stdout
    assert "7 drops over uid_max_drops" in out, out


def test_a_forged_drop_is_its_writers_own(make_daemon, public):
    """A drop claiming to be root's sshd, written by nobody: reported, if at
    all, as nobody's, with nobody's rights."""
    d = drop_daemon(make_daemon, public)
    prog = public_program(public, "crash_null.c", "crash_null")
    good, pid = valid_drop(make_daemon, public, prog)
    # the record's exe field, rewritten in place (same length, NUL padded)
    forged = good.replace(prog.encode(), b"/usr/sbin/sshd".ljust(len(prog), b"\0"), 1)
    r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                        "/usr/bin/python3", "-c",
                        "import sys; open(sys.argv[1], 'wb').write(sys.stdin.buffer.read())",
                        os.path.join(public, "drops", "forged.drop")], input=forged)
    assert r.returncode == 0
    d.start()
    ev = d.event_for_pid(pid)
    assert ev["context"]["process"]["uid"] == NOBODY
    assert ev["context"]["process"]["exe"] == "/usr/sbin/sshd"    # its own word, as its own
