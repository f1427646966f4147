#!/usr/bin/python3
"""Benchmark (issue 3): a crash in a large real program, record -> event
spooled, cold (fresh daemon) and warm (the same program crashing again),
against `gdb -batch -ex 'bt full'` on a core of the same crash; and the
daemon's peak memory.

Default program: CPython with its debug info (libpython), crashing in
ctypes.string_at(0) -> libc, through the interpreter's C frames.  Any
other crashing command can be given after --.
Usage: tests/bench/report.py [BUILD_DIR] [N] [-- CMD ARGS...]
"""
import glob, os, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
argv = sys.argv[1:]
cmd = None
if "--" in argv:
    cmd = argv[argv.index("--") + 1:]
    argv = argv[:argv.index("--")]
BUILD = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "build"))
N = int(argv[1]) if len(argv) > 1 else 5
SHIM = os.path.join(BUILD, "shim", "libbooboo-shim.so")
DAEMON = os.path.join(BUILD, "daemon", "boobood")
PY = "/root/.pyenv/versions/3.11.7/bin/python3.11"
if cmd is None:
    py = PY if os.path.exists(PY) else shutil.which("python3")
    cmd = [py, "-c", "import ctypes; ctypes.string_at(0)"]


def dwarf_bytes(path):
    out = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True).stdout
    total = 0
    for line in out.splitlines():
        m = re.search(r"\] (\.z?debug_\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)", line)
        if m:
            total += int(m.group(2), 16)
    return total


def debug_file(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    if m:
        p = f"/usr/lib/debug/.build-id/{m.group(1)[:2]}/{m.group(1)[2:]}.debug"
        if os.path.exists(p):
            return p
    return None


def run_daemon(tmp):
    conf = os.path.join(tmp, "c.conf")
    sock = os.path.join(tmp, "s.sock")
    open(conf, "w").write(f"socket = {sock}\nspool_dir = {tmp}/spool\n")
    log = open(os.path.join(tmp, "log"), "w")
    p = subprocess.Popen([DAEMON, "-f", "-d", "-c", conf], stderr=log)
    while not os.path.exists(sock):
        time.sleep(0.01)
    # cold means: this program has never crashed here; the daemon's own
    # read-ahead of libc's debug info at start-up is allowed to finish
    for _ in range(500):
        if "read ahead" in open(os.path.join(tmp, "log")).read():
            break
        time.sleep(0.01)
    return p, sock, os.path.join(tmp, "log")


def crash(sock):
    env = dict(os.environ, LD_PRELOAD=SHIM, BOOBOO_SOCKET=sock)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_lines(logpath, n):
    for _ in range(3000):
        got = re.findall(r"record to spool in (\d+) us \((\d+) us of work", open(logpath).read())
        if len(got) >= n:
            return got
        time.sleep(0.01)
    raise SystemExit("no event")


def peak_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def gdb_times(tmp):
    core = os.path.join(tmp, "core")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run(["gdb", "-batch", "-nx", "-ex", "run", "-ex", f"generate-core-file {core}",
                    "--args", *cmd], capture_output=True, env=env, timeout=600)
    times = []
    for _ in range(2):
        t = time.perf_counter()
        out = subprocess.run(["gdb", "-batch", "-nx", "-ex", "bt full", cmd[0], core],
                             capture_output=True, text=True, env=env, timeout=600).stdout
        times.append(time.perf_counter() - t)
    return times, out.count("\n#")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        d, sock, logpath = run_daemon(tmp)
        crash(sock)
        cold = wait_lines(logpath, 1)[0]
        for i in range(N):
            crash(sock)
        warm = wait_lines(logpath, N + 1)[1:]
        peak = peak_kb(d.pid)
        d.terminate()
        d.wait()
        files = sorted(glob.glob(os.path.join(tmp, "spool", "pending", "*.json")))
        import json
        ev = json.load(open(files[-1]))
        mods = [m["path"] for m in ev["context"]["modules"]]
        dwarf = 0
        for m in mods:
            dwarf += dwarf_bytes(m)
            dbg = debug_file(m)
            if dbg:
                dwarf += dwarf_bytes(dbg)
        frames = len(ev["stacktrace"])
        nvars = sum(len(f.get("vars", {})) for f in ev["stacktrace"])
        gdb, gdb_frames = gdb_times(tmp)
    cold_ms = int(cold[0]) / 1000
    warm_ms = statistics.median(int(w[0]) for w in warm) / 1000
    print(f"program: {' '.join(cmd)}")
    print(f"DWARF in the crashed process's modules: {dwarf / 1e6:.1f} MB ({len(mods)} modules)")
    print(f"event: {frames} frames, {nvars} variables; gdb bt full: {gdb_frames} frames")
    print(f"booboo record->spooled  cold {cold_ms:8.1f} ms   warm (median of {N}) {warm_ms:8.1f} ms")
    print(f"gdb -batch 'bt full' on a core: {gdb[0] * 1000:8.1f} ms (then {gdb[1] * 1000:.1f} ms)")
    print(f"ratio  cold 1/{gdb[0] * 1000 / cold_ms:.1f}   warm 1/{gdb[0] * 1000 / warm_ms:.1f}")
    print(f"daemon peak memory (VmHWM): {peak / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
