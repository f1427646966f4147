"""Issues 2 and 3: what a signal's report says beyond its name.  A SIGSEGV
tells a read from a write from an instruction fetch (x86-64 page-fault
error code), with si_code's meaning and the fault address; the registers
are the faulting instruction's (gdb is the oracle for the pc and the
instruction); the timestamp is the crash's; the runtime and OS contexts are
this machine's; BOOBOO_ENVIRONMENT/RELEASE/TAGS are the ones the process
started with; a core file is still written exactly as without the shim.
And `meson install` puts every file where the README says."""
import glob
import os
import re
import resource
import signal
import subprocess
import time
from datetime import datetime, timezone

import pytest

from conftest import ROOT, base_function, gdb_frames, run_plain, run_shim, shim_env

# Non-PIE: the program sits at the same address under gdb and under the shim,
# so gdb's $pc is the register value the report must carry.
FLAGS = ("-O0", "-no-pie", "-fno-pie")
REGISTERS = ["rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags"]


def sigdetail(programs):
    return programs.build("sigdetail.c", FLAGS)


def crash(programs, daemon, *args, env=None):
    prog = sigdetail(programs)
    plain = run_plain(prog, *args)
    res, pid = run_shim(prog, *args, sock=daemon.socket, env=env)
    assert res.returncode == plain.returncode == -signal.SIGSEGV, (res, plain)
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "SIGSEGV"
    assert ev["context"]["signal"]["number"] == signal.SIGSEGV
    return prog, res, ev


def page_of(res):
    m = re.search(r"page=(0x[0-9a-f]+)", res.stderr)
    assert m, res.stderr
    return m.group(1)


def ours_in_source(ev):
    """(function, line) of the event's frames in sigdetail.c, innermost first."""
    return [(base_function(f["function"]), f["lineno"]) for f in reversed(ev["stacktrace"])
            if (f.get("filename") or "").endswith("/programs/sigdetail.c")]


def gdb_in_source(prog, *args, commands=("bt",)):
    frames, out = gdb_frames(prog, *args, commands=commands)
    return [(base_function(f["function"]), f["line"]) for f in frames
            if (f["file"] or "").endswith("/programs/sigdetail.c")], out


# ---- read, write, instruction fetch ------------------------------------------------

def test_null_write_says_write(programs, daemon):
    prog, _, ev = crash(programs, daemon, "write", "0x10")
    assert ev["message"] == \
        "SIGSEGV: invalid write at 0x10 (address not mapped) in store_total"
    sig = ev["context"]["signal"]
    assert (sig["code_name"], sig["code_meaning"], sig["address"], sig["access"]) == \
        ("SEGV_MAPERR", "address not mapped", "0x10", "write")
    assert ev["exceptions"][0]["value"] == ev["message"]
    want, out = gdb_in_source(prog, "write", "0x10")
    assert ours_in_source(ev) == want, out


def test_write_to_read_only_page_says_write_and_permissions(programs, daemon):
    _, res, ev = crash(programs, daemon, "rowrite")
    addr = hex(int(page_of(res), 16) + 3 * 8)
    assert ev["message"] == (f"SIGSEGV: invalid write at {addr} "
                             "(invalid permissions for mapped object) in store_total")
    sig = ev["context"]["signal"]
    assert (sig["code_name"], sig["address"], sig["access"]) == ("SEGV_ACCERR", addr, "write")


def test_null_read_says_read(programs, daemon):
    prog, _, ev = crash(programs, daemon, "read", "0x18")
    assert ev["message"] == "SIGSEGV: invalid read at 0x18 (address not mapped) in load_total"
    sig = ev["context"]["signal"]
    assert (sig["code_name"], sig["address"], sig["access"]) == ("SEGV_MAPERR", "0x18", "read")
    want, out = gdb_in_source(prog, "read", "0x18")
    assert ours_in_source(ev) == want, out


def test_call_through_bad_function_pointer_is_an_instruction_fetch(programs, daemon):
    """A jump to 0x1000: the instruction fetch wording, rip at the address,
    and the frame that made the call still on the stack, as gdb shows it."""
    prog, _, ev = crash(programs, daemon, "call", "0x1000")
    assert ev["message"].startswith(
        "SIGSEGV: invalid instruction fetch at 0x1000 (address not mapped)"), ev["message"]
    sig = ev["context"]["signal"]
    assert (sig["code_name"], sig["address"], sig["access"]) == \
        ("SEGV_MAPERR", "0x1000", "instruction fetch")
    assert ev["context"]["registers"]["rip"] == "0x1000"
    assert ev["stacktrace"][-1]["instruction_addr"] == "0x1000"
    want, out = gdb_in_source(prog, "call", "0x1000")
    assert [w[0] for w in want] == ["call_handler", "main"], out
    assert ours_in_source(ev) == want, (ev["stacktrace"], out)


def test_call_into_non_executable_page_is_an_instruction_fetch(programs, daemon):
    _, res, ev = crash(programs, daemon, "nx")
    page = page_of(res)
    assert ev["message"].startswith(
        f"SIGSEGV: invalid instruction fetch at {page} "
        "(invalid permissions for mapped object)"), ev["message"]
    sig = ev["context"]["signal"]
    assert (sig["code_name"], sig["address"], sig["access"]) == \
        ("SEGV_ACCERR", page, "instruction fetch")
    assert ev["context"]["registers"]["rip"] == page
    assert [f for f, _ in ours_in_source(ev)] == ["call_handler", "main"], ev["stacktrace"]


# ---- registers ----------------------------------------------------------------------

def test_registers_are_the_faulting_instructions(programs, daemon):
    """context.registers: every general register, rip = the faulting pc
    (gdb's $pc for the same crash) = the top frame's address; the
    instruction's address register holds the fault address and the value
    being stored is in a register."""
    prog, _, ev = crash(programs, daemon, "write", "0x10")
    regs = ev["context"]["registers"]
    assert sorted(regs) == sorted(REGISTERS)
    for k, v in regs.items():
        assert re.fullmatch(r"0x[0-9a-f]+", v), (k, v)
    _, out = gdb_frames(prog, "write", "0x10", commands=("p/x $pc", "x/i $pc"))
    pc = re.search(r"^\$1 = (0x[0-9a-f]+)$", out, re.M)
    insn = re.search(r"^=> 0x[0-9a-f]+ <store_total\+\d+>:\s+(\S+)\s+(\S+)$", out, re.M)
    assert pc and insn, out
    assert regs["rip"] == pc.group(1)
    assert ev["stacktrace"][-1]["instruction_addr"] == regs["rip"]
    assert base_function(ev["stacktrace"][-1]["function"]) == "store_total"
    # AT&T: "mov %rdx,(%rax)" or with a displacement, "mov %rdx,0x8(%rax)"
    m = re.fullmatch(r"(%\w+),(-?0x[0-9a-f]+)?\(%(\w+)\)", insn.group(2))
    assert m, insn.group(0)
    disp = int(m.group(2), 16) if m.group(2) else 0
    assert int(regs[m.group(3)], 16) + disp == 0x10, (insn.group(0), regs)
    assert regs[m.group(1)[1:]] == "0x1badc0de", (insn.group(0), regs)
    # rsp is a canonical user-space address
    assert 0x10000 < int(regs["rsp"], 16) < 0x800000000000


# ---- timestamp, runtime, os -----------------------------------------------------------

def test_timestamp_is_the_crash_time(programs, daemon):
    before = time.time()
    _, _, ev = crash(programs, daemon, "write", "0x10")
    after = time.time()
    ts = ev["timestamp"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", ts), ts
    t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
    # the crash happened between the two (run_plain ran first: 'before' is early)
    assert before - 1 <= t <= after + 1, (before, ts, after)


def os_release_pretty_name():
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return None


def test_runtime_and_os_context(programs, daemon):
    _, _, ev = crash(programs, daemon, "write", "0x10")
    ctx = ev["context"]
    libc = os.confstr("CS_GNU_LIBC_VERSION")          # "glibc 2.36"
    assert ctx["runtime"] == {"name": "native", "version": libc}
    u = os.uname()
    want = {"name": u.sysname, "release": u.release, "version": u.version,
            "machine": u.machine}
    pretty = os_release_pretty_name()
    if pretty:
        want["distribution"] = pretty
    assert ctx["os"] == want
    assert ctx["sdk"]["name"] == "booboo-native" and ctx["sdk"]["version"]
    assert ev["platform"] == "native"


# ---- BOOBOO_* captured at load ---------------------------------------------------------

def test_environment_release_tags_are_those_at_start(programs, make_daemon):
    """The program changes BOOBOO_* with setenv() before it crashes: the
    event has the values the process started with."""
    d = make_daemon("environment = from-config\nrelease = config@0.0\ntags = owner=ops")
    prog, res, ev = crash(programs, d, "setenv", env={
        "BOOBOO_ENVIRONMENT": "staging", "BOOBOO_RELEASE": "shop@1.4.2",
        "BOOBOO_TAGS": "region=eu,team=payments"})
    assert "env now changed-later changed@9.9 late=yes" in res.stderr   # it did change them
    assert ev["environment"] == "staging"
    assert ev["release"] == "shop@1.4.2"
    assert ev["tags"] == {"owner": "ops", "region": "eu", "team": "payments",
                          "runtime": "native"}
    # started without them: the config's, not what setenv() put there later
    res, pid = run_shim(prog, "setenv", sock=d.socket)
    ev = d.event_for_pid(pid)
    assert ev["environment"] == "from-config"
    assert ev["release"] == "config@0.0"
    assert ev["tags"] == {"owner": "ops", "runtime": "native"}


# ---- core dumps ------------------------------------------------------------------------

def cwd_relative_core_pattern():
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
    except OSError as e:
        pytest.skip(f"cannot read /proc/sys/kernel/core_pattern: {e}")
    if pattern.startswith("|"):
        pytest.skip(f"core_pattern pipes cores to a program ({pattern!r}): no core file here")
    if pattern.startswith("/") or not pattern:
        pytest.skip(f"core_pattern {pattern!r} is not relative to the working directory")
    return pattern


def run_for_core(prog, args, env, cwd):
    def unlimited_core():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,
                                                  resource.RLIM_INFINITY))
    os.makedirs(cwd)
    if not os.access(cwd, os.W_OK):
        pytest.skip(f"{cwd} is not writable")
    p = subprocess.Popen([prog, *args], env=env, cwd=cwd, preexec_fn=unlimited_core,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status = os.waitpid(p.pid, 0)
    p.returncode = 0                       # reaped here, not by Popen
    # the kernel has written the core before the parent sees the status
    cores = [os.path.join(cwd, n) for n in os.listdir(cwd)]
    return p.pid, status, cores


def core_facts(prog, core):
    with open(core, "rb") as f:
        head = f.read(18)
    assert head[:4] == b"\x7fELF" and int.from_bytes(head[16:18], "little") == 4, \
        f"{core} is not an ELF core file"
    out = subprocess.run(["gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off",
                          "-ex", "bt", prog, core],
                         capture_output=True, text=True, timeout=120).stdout
    sig = re.search(r"Program terminated with signal (SIG\w+)", out)
    fns = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(", out, re.M)
    return (sig.group(1) if sig else None), fns, out


def test_core_file_written_as_without_the_shim(programs, daemon, tmp_path):
    pattern = cwd_relative_core_pattern()
    prog = sigdetail(programs)
    args = ("write", "0x10")
    plain_env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
    _, a, plain_cores = run_for_core(prog, args, plain_env, str(tmp_path / "plain"))
    pid, b, shim_cores = run_for_core(prog, args, shim_env(daemon.socket), str(tmp_path / "shim"))
    assert os.WIFSIGNALED(a) and os.WIFSIGNALED(b)
    assert os.WTERMSIG(a) == os.WTERMSIG(b) == signal.SIGSEGV
    assert os.WCOREDUMP(a) and os.WCOREDUMP(b), (a, b)
    assert len(plain_cores) == 1, (pattern, plain_cores)
    assert len(shim_cores) == 1, (pattern, shim_cores)
    if "%" not in pattern:                 # a fixed name: the same file name both times
        assert os.path.basename(shim_cores[0]) == os.path.basename(plain_cores[0]) == \
            os.path.basename(pattern)
    for core in plain_cores + shim_cores:
        sig, fns, out = core_facts(prog, core)
        assert sig == "SIGSEGV", out
        assert "store_total" in fns and "main" in fns, out
        assert fns.index("store_total") < fns.index("main"), out
    # and the report was made too
    ev = daemon.event_for_pid(pid)
    assert ev["message"] == "SIGSEGV: invalid write at 0x10 (address not mapped) in store_total"


# ---- meson install ---------------------------------------------------------------------

def test_meson_install_layout(tmp_path):
    """A fresh build from the source tree, installed with --destdir."""
    build = tmp_path / "build"
    dest = tmp_path / "root"
    log = tmp_path / "meson.log"
    with open(log, "w") as f:
        for cmd in (["meson", "setup", "--prefix=/usr", str(build), ROOT],
                    ["meson", "install", "-C", str(build), "--destdir", str(dest)]):
            p = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=600)
            assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{log.read_text()[-4000:]}"
    usr = dest / "usr"
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert all(f.startswith("usr/") for f in files), files     # nothing outside the prefix

    def one(pattern):
        found = glob.glob(str(dest / pattern), recursive=True)
        assert len(found) == 1, (pattern, files)
        return found[0]

    boobood = usr / "sbin" / "boobood"
    booboo = usr / "bin" / "booboo"
    helpers = [usr / "libexec" / "booboo" / h for h in ("boobood-worker", "boobood-uploader")]
    for exe in [boobood, booboo] + helpers:
        assert exe.is_file() and os.access(exe, os.X_OK), files
    usage = subprocess.run([str(boobood), "--help"], capture_output=True, text=True)
    assert usage.returncode == 0 and usage.stdout.startswith("usage: boobood"), usage
    shim = one("usr/lib*/**/libbooboo-shim.so")
    libdir = "/" + os.path.relpath(os.path.dirname(shim), dest)   # /usr/lib/x86_64-linux-gnu
    assert libdir.startswith("/usr/lib")
    # the CLI finds the installed daemon and shim where they are
    strings = subprocess.run(["strings", str(booboo)], capture_output=True, text=True).stdout
    assert "/usr/sbin/boobood" in strings.splitlines()
    assert f"{libdir}/libbooboo-shim.so" in strings.splitlines()
    # the shim exports the C API the header declares
    header = usr / "include" / "booboo.h"
    assert header.read_bytes() == open(os.path.join(ROOT, "shim", "booboo.h"), "rb").read()
    declared = set(re.findall(r"^(?:void|int)\s+\*?(booboo_\w+)\(", header.read_text(), re.M))
    assert {"booboo_set_tag", "booboo_capture_message", "booboo_capture_error"} <= declared
    dynsym = subprocess.run(["nm", "-D", "--defined-only", shim], capture_output=True,
                            text=True, check=True).stdout
    exported = set(re.findall(r" T (booboo_\w+)$", dynsym, re.M))
    assert declared <= exported, declared - exported
    # and nothing else but what it interposes: a symbol of its own would be
    # the program's too (a function of the same name would bind to ours)
    functions = set(re.findall(r" [TW] (\w+)$", dynsym, re.M))
    interposed = {"pthread_create", "__cxa_throw", "_Unwind_RaiseException", "write"}
    assert functions - exported == interposed, functions - exported
    # pkg-config
    pc = one("usr/**/pkgconfig/booboo.pc")
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pc), PKG_CONFIG_LIBDIR="")
    libs = subprocess.run(["pkg-config", "--libs", "booboo"], capture_output=True, text=True,
                          env=env)
    assert libs.returncode == 0 and "-lbooboo-shim" in libs.stdout.split(), libs
    assert subprocess.run(["pkg-config", "--variable=libdir", "booboo"], capture_output=True,
                          text=True, env=env).stdout.strip() == libdir
    assert subprocess.run(["pkg-config", "--variable=prefix", "booboo"], capture_output=True,
                          text=True, env=env).stdout.strip() == "/usr"
    # the four man pages, as written
    for page, section in (("boobood.8", 8), ("booboo.1", 1), ("booboo.conf.5", 5),
                          ("booboo.3", 3)):
        installed = usr / "share" / "man" / f"man{section}" / page
        assert installed.is_file(), files
        assert installed.read_bytes() == open(os.path.join(ROOT, "man", page), "rb").read()
    # the systemd unit, pointing at the installed daemon
    unit = usr / "lib" / "systemd" / "system" / "boobood.service"
    assert unit.is_file(), files
    text = unit.read_text()
    assert not re.search(r"@[A-Z_]+@", text), text                  # no placeholder left
    exec_start = re.search(r"^ExecStart=(\S+)", text, re.M)
    assert exec_start and exec_start.group(1) == "/usr/sbin/boobood", text
    assert re.search(r"^WantedBy=multi-user.target$", text, re.M), text
    # a program builds against the installed header and library
    src = tmp_path / "use.c"
    src.write_text('#include <booboo.h>\n'
                   'int main(void) { return booboo_set_tag("k", "v") < -1; }\n')
    cc = subprocess.run(["gcc", "-I", str(usr / "include"), "-o", str(tmp_path / "use"), str(src),
                         "-L", os.path.dirname(shim), "-lbooboo-shim"],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
