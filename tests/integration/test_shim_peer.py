"""The shim hands its record, and the descriptors that open the program's
whole memory, only to a listener the kernel (SO_PEERCRED) says runs as root
or as the program's own effective user; anyone else who binds the socket
path gets a connection with nothing on it, and the program dies at once.
A setuid program takes no BOOBOO_* from its caller (secure_getenv), so the
caller cannot point its crash at a socket of its choosing."""
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import PROGRAMS, SHIM, listening, run_plain, run_shim, wait_for

NOBODY = pwd.getpwnam("nobody")
AS_NOBODY = ["setpriv", f"--reuid={NOBODY.pw_uid}", f"--regid={NOBODY.pw_gid}", "--clear-groups"]

# Accepts every connection, reads what comes (the record, SCM_RIGHTS
# descriptors) and writes {"bytes", "fds"} per connection to a file.  It
# never answers and never hangs up: a shim that sent would be held to its
# bound, as a hostile listener would hold it.
LISTENER = r"""
import array, json, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(path)
s.listen(16)
got, kept = [], []
while True:
    c, _ = s.accept()
    fds = array.array("i")
    data, anc, _, _ = c.recvmsg(1 << 16, socket.CMSG_SPACE(8 * fds.itemsize))
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(raw[:len(raw) - len(raw) % fds.itemsize])
    got.append({"bytes": len(data), "fds": len(fds)})
    for fd in fds:
        os.close(fd)
    kept.append(c)
    with open(out + ".tmp", "w") as f:
        json.dump(got, f)
    os.rename(out + ".tmp", out)
"""


@pytest.fixture
def public_dir():
    """A directory nobody can enter (pytest's tmp_path is root's alone)."""
    d = tempfile.mkdtemp(prefix="booboo-peer-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Listener:
    def __init__(self, directory, as_nobody):
        if as_nobody:
            os.chown(directory, NOBODY.pw_uid, NOBODY.pw_gid)   # its own directory
        self.path = os.path.join(directory, "listener.sock")
        self.out = os.path.join(directory, "received.json")
        self.proc = subprocess.Popen([*(AS_NOBODY if as_nobody else []), sys.executable, "-c",
                                      LISTENER, self.path, self.out])
        assert wait_for(lambda: listening(self.path) or self.proc.poll() is not None, 10) \
            and self.proc.poll() is None, "the listener did not start"
        os.chmod(self.path, 0o777)      # any user may connect: the shim is who decides

    def _read(self):
        try:
            with open(self.out) as f:
                return json.load(f)
        except (OSError, ValueError):
            return []

    def received(self, connections, timeout=5):
        """What each connection brought, once `connections` were seen (or
        the timeout passed)."""
        wait_for(lambda: len(self._read()) >= connections, timeout)
        return self._read()

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def make_listener(public_dir):
    listeners = []

    def make(as_nobody, directory=None):
        if directory is None:
            directory = tempfile.mkdtemp(dir=public_dir)
            os.chmod(directory, 0o755)
        listeners.append(Listener(directory, as_nobody))
        return listeners[-1]
    yield make
    for listener in listeners:
        listener.stop()


def public_program(public_dir, source="crash_null.c", link_shim=False, name="app"):
    """The program and a copy of the shim where nobody can run them."""
    shim = os.path.join(public_dir, "libbooboo-shim.so")
    if not os.path.exists(shim):
        shutil.copy(SHIM, shim)
        os.chmod(shim, 0o755)
    prog = os.path.join(public_dir, name)
    # --no-as-needed: the program calls nothing in it, yet it must load
    libs = ["-Wl,--no-as-needed", shim, f"-Wl,-rpath,{public_dir}"] if link_shim else []
    subprocess.run(["gcc", "-g", "-O0", "-o", prog, os.path.join(PROGRAMS, source), *libs],
                   check=True)
    os.chmod(prog, 0o755)
    return prog, shim


def test_a_listener_of_another_user_gets_nothing(programs, make_listener):
    """A root program pointed at nobody's socket: nothing is sent, no
    descriptor, and it dies at once with its own signal, not held."""
    hostile = make_listener(as_nobody=True)
    prog = programs.build("crash_null.c")
    plain = run_plain(prog)
    t0 = time.monotonic()
    res, _ = run_shim(prog, sock=hostile.path, env={"BOOBOO_HOLD_TIMEOUT_MS": "5000"})
    took = time.monotonic() - t0
    assert res.returncode == plain.returncode == -signal.SIGSEGV, res
    assert took < 1.0, f"held {took:.2f} s by a listener it sent nothing to"
    assert hostile.received(1) == [{"bytes": 0, "fds": 0}]      # connected, then nothing


def test_the_api_sends_nothing_to_another_user(programs, make_listener):
    """booboo_capture_error (with the descriptors) and capture_message fail
    at once, as with no daemon, and the listener gets nothing of either."""
    hostile = make_listener(as_nobody=True)
    shim_dir = os.path.dirname(SHIM)
    prog = programs.build("api_timing.c", ("-O0",), libs=(SHIM, "-Wl,-rpath," + shim_dir))
    res, _ = run_shim(prog, sock=hostile.path, env={"LD_PRELOAD": "",
                                                    "BOOBOO_HOLD_TIMEOUT_MS": "5000"})
    assert res.returncode == 0 and "still running" in res.stdout, res
    lines = dict(l.split(" ", 1) for l in res.stdout.splitlines() if "rc=" in l)
    for call in ("error", "message"):
        rc, us = lines[call].split()
        assert rc == "rc=-1" and int(us[3:]) < 500000, res.stdout
    assert hostile.received(2) == [{"bytes": 0, "fds": 0}] * 2


def test_a_listener_of_the_programs_own_user_is_trusted(public_dir, make_listener):
    """nobody's program, nobody's listener: the record and both descriptors
    arrive (the process could read its own memory anyway)."""
    own = make_listener(as_nobody=True)
    prog, shim = public_program(public_dir)
    res = subprocess.run([*AS_NOBODY, prog], capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, LD_PRELOAD=shim, BOOBOO_SOCKET=own.path,
                                  BOOBOO_HOLD_TIMEOUT_MS="300"))
    assert res.returncode == -signal.SIGSEGV, res
    got = own.received(1)
    assert len(got) == 1 and got[0]["bytes"] > 0 and got[0]["fds"] == 2, got


def test_the_root_daemon_reports_another_users_program(public_dir, make_daemon):
    """The real daemon, as root, is trusted by a program of any user."""
    sock_dir = tempfile.mkdtemp(dir=public_dir)
    os.chmod(sock_dir, 0o755)
    d = make_daemon(socket_path=os.path.join(sock_dir, "booboo.sock"))
    prog, shim = public_program(public_dir)
    res, pid = run_shim(prog, sock=d.socket, user="nobody", env={"LD_PRELOAD": shim})
    assert res.returncode == -signal.SIGSEGV, res
    ev = d.event_for_pid(pid)
    assert ev["context"]["process"]["uid"] == NOBODY.pw_uid
    assert ev["exception_type"] == "SIGSEGV"


def test_a_setuid_program_takes_no_socket_from_its_caller(public_dir, make_listener):
    """A setuid-root program run by nobody with BOOBOO_SOCKET naming root's
    own listener: AT_SECURE, so the shim never reads it.  The same program
    without the setuid bit, run the same way, does send there."""
    listener = make_listener(as_nobody=False)
    os.chmod(os.path.dirname(listener.path), 0o755)
    env = dict(os.environ, BOOBOO_SOCKET=listener.path, BOOBOO_HOLD_TIMEOUT_MS="300")
    env.pop("LD_PRELOAD", None)       # ignored for setuid programs: the shim is linked in
    prog, _ = public_program(public_dir, link_shim=True)
    res = subprocess.run([*AS_NOBODY, prog], capture_output=True, text=True, env=env, timeout=30)
    assert res.returncode == -signal.SIGSEGV, res
    assert len(listener.received(1)) == 1               # the caller's socket, when it may
    os.chmod(prog, 0o4755)                              # root's, set-user-ID
    res = subprocess.run([*AS_NOBODY, prog], capture_output=True, text=True, env=env, timeout=30)
    assert res.returncode == -signal.SIGSEGV, res
    time.sleep(0.3)
    assert len(listener.received(2, timeout=0.5)) == 1  # and not when it is setuid
