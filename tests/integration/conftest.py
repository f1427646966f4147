"""Fixtures for the integration tests: the real boobood and booboo from the
build tree, the real shim, programs compiled here, a real HTTP ingest on
loopback, and gdb as the oracle for stacks."""
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(os.environ.get("BOOBOO_BUILD", os.path.join(ROOT, "build")))
SHIM = os.path.abspath(os.environ.get("BOOBOO_SHIM_PATH",
                                      os.path.join(BUILD, "shim", "libbooboo-shim.so")))
DAEMON = os.path.join(BUILD, "daemon", "boobood")
CLI = os.path.join(BUILD, "daemon", "booboo")
PROGRAMS = os.path.join(HERE, "programs")
# A command the daemon is run under, one that execs it (the same pid):
# "setpriv --bounding-set=..." runs the suite with the capabilities of
# boobood.service alone (test_hardening.py does so for some tests, with
# make_daemon's wrap).
DAEMON_WRAP = os.environ.get("BOOBOO_DAEMON_WRAP", "").split()

sys.path.insert(0, HERE)
from event_check import check_event, check_spools  # noqa: E402
from ingest_server import Ingest  # noqa: E402

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "ERROR: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer",
                   "SUMMARY: UndefinedBehaviorSanitizer")


def listening(path):
    """Is a Unix socket listening at path?  Read from /proc/net/unix rather
    than by connecting: a probe connection would be a (rate-limited) "bad
    record" in the daemon's log and could hide the one a test looks for."""
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                fields = line.split()
                # Flags 0x10000 is __SO_ACCEPTCON: listen() was called
                if len(fields) >= 8 and fields[7] == path and int(fields[3], 16) & 0x10000:
                    return True
    except OSError:                     # no /proc/net/unix: existence is the best sign
        return os.path.exists(path)
    return False


def sanitizer_reports(text):
    """The sanitizer findings in a process's stderr, if any."""
    return [m for m in SANITIZER_MARKS if m in (text or "")]


def wait_for(pred, timeout=10.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


# ---- programs ---------------------------------------------------------------

class Programs:
    """Compiles test programs once per session, by (source, flags, libs).
    Plain builds are named SOURCE_FLAGS (the name is also the process's
    comm, which some tests check); builds with extra libraries or sources
    get a distinct name so they never overwrite a cached one."""

    def __init__(self, outdir):
        self.outdir = outdir
        self.cache = {}

    @staticmethod
    def _compile(cmd):
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError(f"cannot compile: {' '.join(cmd)}\n{p.stderr}")

    def build(self, source, flags=("-O0",), name=None, libs=(), extra_sources=()):
        key = (source, tuple(flags), tuple(libs), tuple(extra_sources))
        if key in self.cache:
            return self.cache[key]
        src = os.path.join(PROGRAMS, source)
        cxx = source.endswith(".cpp")
        base = name or (os.path.splitext(source)[0] + "".join(f.replace("-", "_") for f in flags))
        if not name and (libs or extra_sources):
            base += "_" + hashlib.sha1(repr(key).encode()).hexdigest()[:6]
        out = os.path.join(self.outdir, base)
        self._compile(["g++" if cxx else "gcc", "-g", *flags, "-o", out, src,
                       *[os.path.join(PROGRAMS, s) for s in extra_sources],
                       "-I" + os.path.join(ROOT, "shim"), *libs, "-lpthread"])
        self.cache[key] = out
        return out

    def shared_lib(self, source, soname, flags=("-O0",)):
        key = ("lib", source, soname, tuple(flags))
        if key not in self.cache:
            out = os.path.join(self.outdir, soname)
            self._compile(["gcc", "-g", *flags, "-fPIC", "-shared", "-o", out,
                           os.path.join(PROGRAMS, source)])
            self.cache[key] = out
        return self.cache[key]


@pytest.fixture(scope="session")
def programs(tmp_path_factory):
    return Programs(str(tmp_path_factory.mktemp("programs")))


# ---- ingest -------------------------------------------------------------------

@pytest.fixture
def ingest():
    srv = Ingest().start()
    yield srv
    srv.stop()
    assert not srv.invalid, "the ingest answered 422 to:\n" + "\n".join(srv.invalid)


@pytest.fixture(autouse=True)
def events_match_schema(tmp_path, request):
    """Every event any test leaves in a spool under its tmp_path, however
    the test read it (or did not), matches event_schema.json; except in a
    test marked forges_events, which plants events no daemon wrote."""
    yield
    if not request.node.get_closest_marker("forges_events"):
        check_spools(tmp_path)


def pytest_configure(config):
    config.addinivalue_line("markers", "forges_events: the test writes spool files itself")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- daemon -------------------------------------------------------------------

class Daemon:
    def __init__(self, tmp, config_extra="", dsn=None, socket_path=None):
        self.tmp = str(tmp)
        self.socket = socket_path or os.path.join(self.tmp, "booboo.sock")
        self.spool = os.path.join(self.tmp, "spool")
        self.config = os.path.join(self.tmp, "booboo.conf")
        self.log_path = os.path.join(self.tmp, "boobood.log")
        # a fresh debuginfod cache per daemon (failed look-ups are cached)
        lines = [f"socket = {self.socket}", f"spool_dir = {self.spool}",
                 f"cache_dir = {os.path.join(self.tmp, 'cache')}"]
        self.dsn = dsn
        if "drop_dir" not in config_extra:     # its own, or one no one else's crashes reach
            lines.append(f"drop_dir = {os.path.join(self.tmp, 'drops')}")
        if dsn:
            lines.append(f"dsn = {dsn}")
        lines.append(config_extra)
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.stopped_rc = None

    def start(self, env=None, wrap=()):
        self.stopped_rc = None
        handshakes = self.log().count("handshake with")
        self.logf = open(self.log_path, "ab")
        e = dict(os.environ)
        e.update(env or {})
        cmd = [DAEMON, "--foreground", "--debug", "--config", self.config]
        self.proc = subprocess.Popen(list(wrap or DAEMON_WRAP) + cmd,
                                     stdout=self.logf, stderr=self.logf, env=e)
        # ready when the socket exists and accepts connections
        ok = wait_for(lambda: listening(self.socket) or self.proc.poll() is not None, 10)
        assert ok and self.proc.poll() is None, f"boobood did not start:\n{self.log()}"
        if self.dsn:
            # the uploader's handshake (a process of its own, started after
            # the socket listens) is past: it takes no answer a test scripts
            wait_for(lambda: self.log().count("handshake with") > handshakes, 10)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"boobood did not stop on SIGTERM:\n{self.log()}")
        self.logf.close()
        self.stopped_rc = self.proc.returncode
        return self.proc.returncode

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # events in the spool
    def event_files(self, state="pending"):
        d = os.path.join(self.spool, state)
        if not os.path.isdir(d):
            return []
        return sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".json"))

    def events(self, state=None):
        out = []
        for st in ([state] if state else ["pending", "sent", "rejected"]):
            for p in self.event_files(st):
                with open(p) as f:
                    out.append(json.load(f))
                check_event(out[-1], p)
        return out

    def wait_event(self, pred=lambda e: True, timeout=15, state=None):
        def find():
            for e in self.events(state):
                if pred(e):
                    return e
            return None
        ev = wait_for(find, timeout)
        assert ev, f"no matching event within {timeout}s; daemon log:\n{self.log()}"
        return ev

    def event_for_pid(self, pid, timeout=15):
        return self.wait_event(lambda e: e.get("context", {}).get("process", {}).get("pid") == pid,
                               timeout)


def children_of(daemon, comm):
    """{pid: uid} of the daemon's child processes named comm (its first
    15 characters, as the kernel keeps it)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            with open(f"/proc/{name}/status") as f:
                uid = int(next(l for l in f if l.startswith("Uid:")).split()[1])
        except (OSError, StopIteration):
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if stat[stat.index("(") + 1:stat.rindex(")")] == comm[:15] and ppid == daemon.proc.pid:
            out[int(name)] = uid
    return out


@pytest.fixture
def make_daemon(tmp_path):
    daemons = []

    def make(config_extra="", dsn=None, start=True, env=None, subdir=None, socket_path=None,
             wrap=()):
        where = tmp_path / subdir if subdir else tmp_path
        os.makedirs(where, exist_ok=True)       # Daemon() writes its config there
        d = Daemon(where, config_extra, dsn, socket_path)
        daemons.append(d)
        return d.start(env, wrap) if start else d

    yield make
    for d in daemons:
        if d.proc is None:
            continue
        was_alive = d.alive() or d.stopped_rc is not None
        rc = d.stop() if d.stopped_rc is None else d.stopped_rc
        log = d.log()
        for mark in SANITIZER_MARKS:
            assert mark not in log, f"sanitizer report in the daemon's log:\n{log}"
        assert was_alive, f"boobood died during the test (status {rc}):\n{log}"
        assert rc == 0, f"boobood exited with {rc}:\n{log}"


@pytest.fixture
def daemon(make_daemon):
    return make_daemon()


# ---- directories others may read -------------------------------------------

@pytest.fixture
def open_tmp():
    """A directory everyone may enter (pytest's tmp_path is root's alone),
    for what a test runs as nobody (before_send, a program, a socket).
    Removed after the test."""
    import shutil
    from pathlib import Path
    d = tempfile.mkdtemp(prefix="booboo-open-")
    os.chmod(d, 0o755)
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def python_script(directory, name, body):
    """An executable Python program DIRECTORY/NAME running BODY."""
    p = directory / name
    p.write_text("#!/usr/bin/python3\n" + body)
    p.chmod(0o755)
    return p


def secret_file(directory):
    """A source file only root may read, with a marker no event may hold."""
    marker = "TOPSECRET-" + os.urandom(8).hex()
    path = os.path.join(directory, "secret.c")
    with open(path, "w") as f:
        f.write("".join(f"int {marker}_{i};\n" for i in range(80)))
    os.chmod(path, 0o600)
    return path, marker


def crash_in_secret_file(directory):
    """A program anyone may run whose debug info puts its crashing line
    in a file only root may read: (program, that file, its marker)."""
    secret, marker = secret_file(directory)
    src = os.path.join(directory, "crash.c")
    with open(src, "w") as f:
        f.write(f'#line 1 "{secret}"\nint main(void) {{ volatile int *p = 0; *p = 1; return 0; }}\n')
    prog = os.path.join(directory, "crash")
    subprocess.run(["gcc", "-g", "-O0", "-o", prog, src], check=True)
    os.chmod(prog, 0o755)
    return prog, secret, marker


# ---- running programs -------------------------------------------------------

# Where a crash with no daemon answering goes unless a test says: a
# directory no daemon watches, so a test's leftovers never reach another's.
UNWATCHED_DROPS = tempfile.mkdtemp(prefix="booboo-unwatched-drops-")
os.chmod(UNWATCHED_DROPS, 0o1777)


def pytest_unconfigure(config):
    import shutil
    shutil.rmtree(UNWATCHED_DROPS, ignore_errors=True)


def shim_env(sock, extra=None):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env["LD_PRELOAD"] = SHIM
    env["BOOBOO_SOCKET"] = sock
    env["BOOBOO_DROP_DIR"] = UNWATCHED_DROPS
    # an ASan-built daemon's options must not leak into test programs
    env.pop("ASAN_OPTIONS", None)
    env.update(extra or {})
    return env


def linked(programs, source):
    """A program linked with the shim (-lbooboo-shim), not preloaded."""
    shim_dir = os.path.dirname(SHIM)
    return programs.build(source, ("-O0",), libs=(SHIM, "-Wl,-rpath," + shim_dir))


def events_of(daemon, pid):
    """The events of one process, in the order spooled."""
    return [e for e in daemon.events() if e["context"]["process"]["pid"] == pid]


def run_plain(prog, *args, timeout=30, env=None):
    """The program without the shim: the reference for its exit status."""
    extra = env or {}
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("ASAN_OPTIONS", None)
    env.update(extra)
    return subprocess.run([prog, *args], capture_output=True, text=True, env=env,
                          timeout=timeout, errors="replace")


def run_shim(prog, *args, sock, env=None, timeout=30, user=None):
    cmd = [prog, *args]
    if user:
        import pwd
        pw = pwd.getpwnam(user)
        cmd = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups", *cmd]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=shim_env(sock, env), text=True, errors="replace")
    out, err = p.communicate(timeout=timeout)
    return subprocess.CompletedProcess(cmd, p.returncode, out, err), p.pid


# ---- gdb, the oracle ----------------------------------------------------------

FRAME_RE = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(.+?) \((.*)\) at (\S+):(\d+)\s*$")
FRAME_NOFILE_RE = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\)(?: from (\S+))?\s*$")


GDB_MARK = "==booboo-gdb-commands=="


def gdb_frames(prog, *args, commands=("bt",), env=None, whole=False, gdb="gdb"):
    """Run prog under gdb until it dies, take a core of the crash and run
    the commands on that core, as the issue's oracle is defined; return
    gdb's frames, innermost first, as dicts {function, file, line}
    (file/line None when gdb has none), and gdb's output.  whole=True also
    shows the frames past main and the entry point.  Never asks debuginfod:
    the oracle must be quick and offline.  gdb names the debugger to run
    (rust-gdb for Rust: gdb with that toolchain's pretty printers)."""
    fd, core = tempfile.mkstemp(prefix="booboo-gdb-", suffix=".core")
    os.close(fd)
    cmd = [gdb, "-batch", "-nx", "-iex", "set debuginfod enabled off",
           "-ex", "set pagination off", "-ex", "set width 0"]
    if whole:
        cmd += ["-ex", "set backtrace past-main on", "-ex", "set backtrace past-entry on"]
    cmd += ["-ex", "run", "-ex", f"gcore {core}", "-ex", "kill", "-ex", f"core-file {core}",
            "-ex", f"echo {GDB_MARK}\\n"]
    for c in commands:
        cmd += ["-ex", c]
    cmd += ["--args", prog, *args]
    e = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
    e.update(env or {})
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=e).stdout
    finally:
        os.unlink(core)
    assert GDB_MARK in out, f"gdb did not reach the core:\n{out}"
    out = out.split(GDB_MARK, 1)[1]
    frames, raw = [], []
    # gdb wraps long frames; join continuation lines
    for line in out.splitlines():
        if line.startswith("#"):
            raw.append(line)
        elif raw and line.startswith("    ") and not line.strip().startswith(("No locals", "=")) \
                and " = " not in line:
            raw[-1] += " " + line.strip()
    for line in raw:
        m = FRAME_RE.match(line)
        if m:
            frames.append({"function": m.group(2), "file": m.group(4), "line": int(m.group(5)),
                           "raw": line})
            continue
        m = FRAME_NOFILE_RE.match(line)
        if m:
            frames.append({"function": m.group(2), "file": None, "line": None, "raw": line})
    return frames, out


def split_params(s):
    """gdb's 'a=1, s=0x1 "x, y", p={...}' -> {'a': '1', ...}: commas inside
    quotes and brackets kept."""
    out, depth, quote, cur = {}, 0, None, ""
    for i, ch in enumerate(s):
        if quote:
            cur += ch
            if ch == quote and s[i - 1] != "\\":
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "{([<":
            depth += 1
        elif ch in "})]>":
            depth -= 1
        if ch == "," and depth == 0:
            name, _, val = cur.strip().partition("=")
            out[name] = val
            cur = ""
            continue
        cur += ch
    if cur.strip():
        name, _, val = cur.strip().partition("=")
        out[name] = val
    return out


def gdb_top_app_frame(frames, source_basename):
    """gdb's innermost frame in our test program's source (not a libc file
    that happens to share the name, like glibc's abort.c)."""
    for f in frames:
        if f["file"] and (f["file"].endswith("/programs/" + source_basename) or
                          f["file"] == source_basename):
            return f
    return None


def base_function(name):
    """'ns::K::m(int) const' -> 'ns::K::m': the part gdb and we agree on."""
    if name is None:
        return None
    depth = 0
    for i, c in enumerate(name):
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif c == "(" and depth == 0 and i > 0 and not name.startswith("(anonymous"):
            return name[:i].strip()
    return name.strip()


def top_app_frame(event):
    app = [f for f in event["stacktrace"] if f["in_app"] and f["lineno"]]
    return app[-1] if app else None
