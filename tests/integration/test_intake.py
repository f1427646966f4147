"""Issue 2: the daemon trusts the kernel, not the record.  Malformed and
lying records are logged and dropped, and the daemon keeps serving; no
daemon means no wait; a bad config stops start-up with FILE:LINE."""
import os
import re
import signal
import socket
import struct
import subprocess
import time

import pytest

from conftest import CLI, DAEMON, ROOT, run_plain, run_shim, wait_for

# struct bb_record from common/record.h, field by field
HEADER = os.path.join(ROOT, "common", "record.h")
FMT = ("<IHHII"          # magic version kind size flags
       "iiiiiI"          # pid tid signo si_code si_errno has_regs
       "QQQ"             # fault_addr time_sec time_nsec
       "17Q"             # regs
       "QQQQQQ"          # eflags fs_base err trapno exc_object exc_tinfo
       "16s256s64s128s512s8s2048s256s"  # thread_name exe env release tags level message error_type
       "128s128s128s128s"               # user_id email username ip
       "16s1024s")                      # request method, url
MAGIC, VERSION, KIND_CRASH, KIND_MESSAGE = 0x4b524242, 1, 1, 2


def record(kind=KIND_MESSAGE, pid=None, signo=0, level=b"info", message=b"hello", **kw):
    size = struct.calcsize(FMT)
    fields = dict(magic=MAGIC, version=VERSION, kind=kind, size=size, flags=0,
                  pid=pid or os.getpid(), tid=pid or os.getpid(), signo=signo)
    fields.update(kw)
    return struct.pack(FMT, fields["magic"], fields["version"], fields["kind"], fields["size"],
                       fields["flags"], fields["pid"], fields["tid"], fields["signo"], 0, 0, 0,
                       0, int(time.time()), 0, *([0] * 17), 0, 0, 0, 0, 0, 0,
                       b"test", b"/usr/bin/test", b"", b"", b"", level, message, b"",
                       b"", b"", b"", b"", b"", b"")


def test_record_layout_matches_header():
    """The Python mirror of struct bb_record must be exactly the C size."""
    src = open(HEADER).read()
    assert "BB_MESSAGE_MAX 2048" in src and "BB_URL_MAX 1024" in src
    out = subprocess.run(["cc", "-x", "c", "-I", os.path.join(ROOT, "common"), "-o", "/dev/stdout",
                          "-E", "-"], input='#include "record.h"\n', capture_output=True, text=True)
    assert out.returncode == 0
    prog = ('#include <stdio.h>\n#include "record.h"\n'
            'int main(void){printf("%zu", sizeof(struct bb_record));return 0;}\n')
    exe = "/tmp/booboo_sizeof"
    subprocess.run(["cc", "-x", "c", "-I", os.path.join(ROOT, "common"), "-o", exe, "-"],
                   input=prog, text=True, check=True)
    assert int(subprocess.run([exe], capture_output=True, text=True).stdout) == struct.calcsize(FMT)


def send(sock_path, data, fds=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(sock_path)
    if fds:
        s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i" * len(fds), *fds))])
    else:
        s.send(data)
    try:
        ack = s.recv(8)
    except OSError:
        ack = b""
    s.close()
    return ack


def still_serving(programs, daemon):
    prog = programs.build("crash_null.c")
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV
    daemon.event_for_pid(pid)


def test_valid_message_record(daemon):
    ack = send(daemon.socket, record(message=b"from python"))
    assert struct.unpack("<II", ack) == (0x4b434142, 0)
    ev = daemon.wait_event(lambda e: e["message"] == "from python")
    assert ev["exception_type"] == "" and ev["level"] == "info"


def test_record_naming_another_pid_is_dropped(programs, daemon):
    victim = subprocess.Popen(["sleep", "30"])
    try:
        ack = send(daemon.socket, record(pid=victim.pid, message=b"lie"))
        assert struct.unpack("<II", ack)[1] != 0
        assert wait_for(lambda: "another process than its sender" in daemon.log(), 5)
        assert not any(e["message"] == "lie" for e in daemon.events())
        # a crash record claiming the victim's pid, with our own /proc fds
        mem = os.open("/proc/self/mem", os.O_RDONLY)
        maps = os.open("/proc/self/maps", os.O_RDONLY)
        send(daemon.socket, record(kind=KIND_CRASH, pid=victim.pid, signo=11, level=b""),
             [mem, maps])
        os.close(mem)
        os.close(maps)
    finally:
        victim.kill()
        victim.wait()
    still_serving(programs, daemon)
    assert not any(e["context"]["process"]["pid"] == victim.pid for e in daemon.events())


def test_crash_record_with_foreign_descriptors_is_dropped(programs, daemon):
    """Our own pid, but descriptors that are not our /proc/PID/mem and maps."""
    child = subprocess.Popen(["sleep", "30"])
    try:
        # a regular file, and another process's maps (which we may read)
        a = os.open("/etc/hostname", os.O_RDONLY)
        b = os.open(f"/proc/{child.pid}/maps", os.O_RDONLY)
        send(daemon.socket, record(kind=KIND_CRASH, signo=11, level=b""), [a, b])
        c = os.open(f"/proc/{child.pid}/mem", os.O_RDONLY)
        send(daemon.socket, record(kind=KIND_CRASH, signo=11, level=b""), [c, b])
        for fd in (a, b, c):
            os.close(fd)
    finally:
        child.kill()
        child.wait()
    assert wait_for(lambda: "descriptors are not the sender" in daemon.log(), 5), daemon.log()
    send(daemon.socket, record(kind=KIND_CRASH, signo=11, level=b""))   # no fds at all
    still_serving(programs, daemon)
    assert len(daemon.events()) == 1


@pytest.mark.parametrize("data", [
    b"",
    b"garbage" * 3,
    os.urandom(5000),
    record()[:-1],
    record() + b"x",
    record(magic=0xdeadbeef),
    record(version=99),
    record(kind=7),
    record(level=b"fatal"),
    record(kind=KIND_CRASH, signo=0),
    record(flags=1),
    record()[:200] + b"\xff" * (struct.calcsize(FMT) - 200),   # unterminated strings
])
def test_malformed_records_are_dropped(programs, daemon, data):
    if data:
        send(daemon.socket, data)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(daemon.socket)
        s.close()
    time.sleep(0.2)
    assert daemon.alive()
    still_serving(programs, daemon)
    assert len(daemon.events()) == 1


def test_silent_client_does_not_stall_the_daemon(programs, daemon):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(daemon.socket)          # connects, never sends
    try:
        still_serving(programs, daemon)
    finally:
        s.close()


def test_no_daemon_running(programs, tmp_path):
    prog = programs.build("crash_null.c")
    plain = run_plain(prog)
    t = time.monotonic()
    res, _ = run_shim(prog, sock=str(tmp_path / "nobody-here.sock"))
    assert time.monotonic() - t < 2
    assert res.returncode == plain.returncode == -signal.SIGSEGV


def test_hung_daemon_does_not_hang_the_app(programs, tmp_path):
    """A socket that accepts but never answers: the app dies after the hold bound."""
    path = str(tmp_path / "hung.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(path)
    srv.listen(8)
    prog = programs.build("crash_null.c")
    t = time.monotonic()
    res, _ = run_shim(prog, sock=path, env={"BOOBOO_HOLD_TIMEOUT_MS": "700"})
    took = time.monotonic() - t
    srv.close()
    assert res.returncode == -signal.SIGSEGV
    assert 0.6 < took < 5


@pytest.mark.parametrize("text,where", [
    ("hold_timeout_ms = abc\n", r":1: hold_timeout_ms: \"abc\" is not a number"),
    ("# comment\n\nsocket = relative/path\n", r":3: socket: .* not an absolute path"),
    ("nonsense_key = 1\n", r":1: unknown key \"nonsense_key\""),
    ("environment = a\nenvironment = b\n", r":2: environment: given twice"),
    ("just some words\n", r":1: expected \"key = value\""),
    ("dsn = ftp://tok@host/\n", r":1: dsn: not an http\(s\) URL"),
    ("dsn = https://@host/\n", r":1: dsn: URL has no token"),
    ("endpoint = http://host:99999/\n", r":1: endpoint: .*port"),
    ("scrub_value = ([a-z => x\n", r":1: scrub_value: .*"),
    ("tags = =v\n", r":1: tags: "),
])
def test_bad_config_stops_startup(tmp_path, text, where):
    conf = tmp_path / "booboo.conf"
    conf.write_text(text)
    p = subprocess.run([DAEMON, "-f", "-c", str(conf)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert re.search(re.escape(str(conf)) + where, p.stderr), p.stderr


def test_bad_config_never_echoes_the_dsn(tmp_path):
    conf = tmp_path / "booboo.conf"
    conf.write_text("dsn = https://sekrit-token@ho st/\n")
    p = subprocess.run([DAEMON, "-f", "-c", str(conf)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and "sekrit" not in p.stderr and ":1: dsn:" in p.stderr


def test_missing_config_named_on_the_command_line(tmp_path):
    p = subprocess.run([DAEMON, "-f", "-c", str(tmp_path / "nope.conf")], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 1 and "nope.conf: No such file or directory" in p.stderr


def test_second_daemon_on_the_same_socket_refuses(daemon):
    p = subprocess.run([DAEMON, "-f", "-c", daemon.config], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 1 and "already listening" in p.stderr
    assert daemon.alive()


def test_help_and_version():
    for exe in (DAEMON, CLI):
        p = subprocess.run([exe, "--help"], capture_output=True, text=True)
        assert p.returncode == 0 and "usage:" in p.stdout
        p = subprocess.run([exe, "--version"], capture_output=True, text=True)
        assert p.returncode == 0 and "0.1.0" in p.stdout
