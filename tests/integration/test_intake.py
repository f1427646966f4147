"""The daemon trusts the kernel, not the record.  Malformed and
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

from conftest import (CLI, DAEMON, ROOT, listening, run_plain, run_shim, sanitizer_reports,
                      wait_for)

# struct bb_record, derived from common/record.h itself: the field list,
# the array bounds from its #defines, offsets by the C alignment rules.
# test_record_layout_matches_header checks every offset against the compiler.
HEADER = os.path.join(ROOT, "common", "record.h")
CTYPES = {"uint8_t": ("B", 1), "int8_t": ("b", 1), "uint16_t": ("H", 2), "int16_t": ("h", 2),
          "uint32_t": ("I", 4), "int32_t": ("i", 4), "uint64_t": ("Q", 8), "int64_t": ("q", 8),
          "char": ("s", 1)}


def parse_header(path=HEADER):
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", open(path).read(), flags=re.S)
    consts = {n: int(v, 0) for n, v in
              re.findall(r"#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)u?\b", text)}
    for body in re.findall(r"enum\s+\w+\s*\{(.*?)\}", text, re.S):
        consts.update({n: int(v, 0) for n, v in re.findall(r"(\w+)\s*=\s*(\d+)", body)})
    body = re.search(r"struct bb_record\s*\{(.*?)\};", text, re.S).group(1)
    fields, offset, align_max = [], 0, 1
    for ctype, name, dims in re.findall(r"(\w+)\s+(\w+)\s*((?:\[\w+\])*)\s*;", body):
        code, size = CTYPES[ctype]
        n = 1                           # char a[N][M]: one run of N*M bytes
        for d in re.findall(r"\[(\w+)\]", dims):
            n *= consts[d] if d in consts else int(d)
        offset = (offset + size - 1) // size * size
        align_max = max(align_max, size)
        fields.append((name, code, n, offset))
        offset += size * n
    total = (offset + align_max - 1) // align_max * align_max
    return fields, total, consts


FIELDS, RECORD_SIZE, CONSTS = parse_header()
MAGIC, VERSION = CONSTS["BB_RECORD_MAGIC"], CONSTS["BB_RECORD_VERSION"]
KIND_CRASH, KIND_MESSAGE = CONSTS["BB_REC_CRASH"], CONSTS["BB_REC_MESSAGE"]


def record(kind=KIND_MESSAGE, pid=None, signo=0, level=b"info", message=b"hello", **kw):
    """A struct bb_record as the shim or the CLI would send it; any field
    can be overridden by name (strings as bytes, arrays as lists)."""
    pid = pid or os.getpid()
    values = dict(magic=MAGIC, version=VERSION, kind=kind, size=RECORD_SIZE, flags=0,
                  pid=pid, tid=pid, signo=signo, time_sec=int(time.time()),
                  thread_name=b"test", exe=b"/usr/bin/test", level=level, message=message)
    values.update(kw)
    buf = bytearray(RECORD_SIZE)
    for name, code, n, offset in FIELDS:
        v = values.get(name)
        if code == "s":
            struct.pack_into(f"<{n}s", buf, offset, v or b"")
        elif n > 1:
            struct.pack_into(f"<{n}{code}", buf, offset, *(v or [0] * n))
        else:
            struct.pack_into(f"<{code}", buf, offset, v or 0)
    return bytes(buf)


def test_record_layout_matches_header(tmp_path):
    """The Python mirror of struct bb_record has the compiler's size and
    every field at the compiler's offset."""
    names = [f[0] for f in FIELDS]
    assert names[:4] == ["magic", "version", "kind", "size"] and "message" in names
    prog = ('#include <stddef.h>\n#include <stdio.h>\n#include "record.h"\n'
            'int main(void){printf("%zu\\n", sizeof(struct bb_record));\n' +
            "".join(f'printf("%zu\\n", offsetof(struct bb_record, {n}));\n' for n in names) +
            "return 0;}\n")
    exe = str(tmp_path / "layout")
    subprocess.run(["cc", "-x", "c", "-I", os.path.join(ROOT, "common"), "-o", exe, "-"],
                   input=prog, text=True, check=True)
    out = [int(x) for x in subprocess.run([exe], capture_output=True, text=True).stdout.split()]
    assert out[0] == RECORD_SIZE
    assert out[1:] == [f[3] for f in FIELDS]


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
    record()[:200] + b"\xff" * (RECORD_SIZE - 200),   # unterminated strings
])
def test_malformed_records_are_dropped(programs, daemon, data):
    if data:
        send(daemon.socket, data)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(daemon.socket)
        s.close()
    # logged with the sender the kernel named, then dropped
    assert wait_for(lambda: f"dropped a record from pid {os.getpid()} " in daemon.log(), 5), \
        daemon.log()
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


@pytest.mark.parametrize("source,args,sig", [
    ("crash_null.c", (), signal.SIGSEGV),
    ("abort.c", (), signal.SIGABRT),
    ("divzero.c", (), signal.SIGFPE),
    ("overflow.c", ("thread",), signal.SIGSEGV),
])
def test_no_daemon_running(programs, tmp_path, source, args, sig):
    """The socket path does not exist: the app dies at once, as without us."""
    prog = programs.build(source)
    plain = run_plain(prog, *args)
    t = time.monotonic()
    res, _ = run_shim(prog, *args, sock=str(tmp_path / "nobody-here.sock"))
    assert time.monotonic() - t < 2
    assert res.returncode == plain.returncode == -sig


def test_stale_socket_file(programs, tmp_path):
    """A daemon that died left its socket file: connect is refused, no wait."""
    path = str(tmp_path / "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(path)
    s.close()
    assert os.path.exists(path)
    prog = programs.build("crash_null.c")
    t = time.monotonic()
    res, _ = run_shim(prog, sock=path)
    assert time.monotonic() - t < 2
    assert res.returncode == -signal.SIGSEGV


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


def refused_start(conf):
    """Start boobood with conf, expecting it to refuse at once; a sanitizer
    report on the way out (a leak on the error path) is a failure too."""
    t = time.monotonic()
    p = subprocess.run([DAEMON, "-f", "-c", str(conf)], capture_output=True, text=True,
                       timeout=10)
    assert time.monotonic() - t < 5
    assert not sanitizer_reports(p.stderr), p.stderr
    return p


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
    p = refused_start(conf)
    assert p.returncode == 1
    assert re.search(re.escape(str(conf)) + where, p.stderr), p.stderr


def test_bad_config_never_echoes_the_dsn(tmp_path):
    conf = tmp_path / "booboo.conf"
    conf.write_text("dsn = https://sekrit-token@ho st/\n")
    p = refused_start(conf)
    assert p.returncode == 1 and "sekrit" not in p.stderr and ":1: dsn:" in p.stderr


def test_missing_config_named_on_the_command_line(tmp_path):
    p = refused_start(tmp_path / "nope.conf")
    assert p.returncode == 1 and "nope.conf: No such file or directory" in p.stderr


def test_second_daemon_on_the_same_socket_refuses(daemon):
    p = refused_start(daemon.config)
    assert p.returncode == 1 and "already listening" in p.stderr
    assert daemon.alive()


def test_help_and_version():
    for exe in (DAEMON, CLI):
        p = subprocess.run([exe, "--help"], capture_output=True, text=True)
        assert p.returncode == 0 and "usage:" in p.stdout
        p = subprocess.run([exe, "--version"], capture_output=True, text=True)
        assert p.returncode == 0 and "0.1.0" in p.stdout


def test_socket_and_spool_options_override_the_config(programs, tmp_path):
    """boobood --socket PATH --spool DIR wins over the config file's values."""
    conf = tmp_path / "booboo.conf"
    conf.write_text(f"socket = {tmp_path}/from-config.sock\nspool_dir = {tmp_path}/config-spool\n")
    sock, spool = str(tmp_path / "override.sock"), tmp_path / "override-spool"
    log = open(tmp_path / "boobood.log", "wb")
    d = subprocess.Popen([DAEMON, "--config", str(conf), "--foreground", "--socket", sock,
                          "--spool", str(spool)], stdout=log, stderr=log)
    try:
        assert wait_for(lambda: listening(sock) or d.poll() is not None, 10) and d.poll() is None
        assert not os.path.exists(tmp_path / "from-config.sock")
        res, pid = run_shim(programs.build("crash_null.c"), sock=sock)
        assert res.returncode == -signal.SIGSEGV
        assert wait_for(lambda: list((spool / "pending").glob("*.json")), 15)
        assert not (tmp_path / "config-spool").exists()
    finally:
        d.send_signal(signal.SIGTERM)
        rc = d.wait(20)
        log.close()
    text = (tmp_path / "boobood.log").read_text(errors="replace")
    assert rc == 0 and not sanitizer_reports(text), text
    assert not os.path.exists(sock)          # removed on a clean stop
