#!/usr/bin/python3
"""Benchmark: a crash in a large real program, record -> event
spooled, cold (fresh daemon) and warm (the same program crashing again),
against `gdb -batch -ex 'bt full'` on a core of the same crash; and the
daemon's peak memory.

Default program: CPython with its debug info (libpython), crashing in
ctypes.string_at(0) -> libc, through the interpreter's C frames.  Any
other crashing command can be given after --.
With --against OTHER_BUILD, the same crashes are also reported by another
build (say, main before a change), alternating the two ROUNDS times, and
both are printed side by side with the ratio of their warm medians.
Usage: tests/bench/report.py [BUILD_DIR] [N] [--against OTHER_BUILD [--rounds R]]
                             [-- CMD ARGS...]
"""
import glob, os, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
argv = sys.argv[1:]
cmd = None
if "--" in argv:
    cmd = argv[argv.index("--") + 1:]
    argv = argv[:argv.index("--")]
AGAINST, ROUNDS = None, 3
if "--against" in argv:
    AGAINST = os.path.abspath(argv[argv.index("--against") + 1])
    del argv[argv.index("--against"):argv.index("--against") + 2]
if "--rounds" in argv:
    ROUNDS = int(argv[argv.index("--rounds") + 1])
    del argv[argv.index("--rounds"):argv.index("--rounds") + 2]
BUILD = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "build"))
N = int(argv[1]) if len(argv) > 1 else 5
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


def run_daemon(tmp, build):
    conf = os.path.join(tmp, "c.conf")
    sock = os.path.join(tmp, "s.sock")
    open(conf, "w").write(f"socket = {sock}\nspool_dir = {tmp}/spool\n")
    log = open(os.path.join(tmp, "log"), "w")
    p = subprocess.Popen([os.path.join(build, "daemon", "boobood"), "-f", "-d", "-c", conf],
                         stderr=log)
    while not os.path.exists(sock):
        time.sleep(0.01)
    # cold means: this program has never crashed here; the daemon's own
    # read-ahead of libc's debug info at start-up is allowed to finish
    for _ in range(500):
        if "read ahead" in open(os.path.join(tmp, "log")).read():
            break
        time.sleep(0.01)
    return p, sock, os.path.join(tmp, "log")


def crash(sock, build):
    env = dict(os.environ, LD_PRELOAD=os.path.join(build, "shim", "libbooboo-shim.so"),
               BOOBOO_SOCKET=sock)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_lines(logpath, n):
    for _ in range(3000):
        got = re.findall(r"record to spool in (\d+) us", open(logpath).read())
        if len(got) >= n:
            return got
        time.sleep(0.01)
    raise SystemExit("no event")


def peak_kb(pid):
    """VmHWM of the daemon and of its workers, added up."""
    total, kids = 0, {pid}
    for name in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{name}/stat").read()
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                kids.add(int(name))
        except (OSError, ValueError):
            pass
    for p in kids:
        for line in open(f"/proc/{p}/status"):
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total


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


def measure(build):
    """One daemon of `build`: the first crash (cold) and N more (warm)."""
    with tempfile.TemporaryDirectory() as tmp:
        d, sock, logpath = run_daemon(tmp, build)
        crash(sock, build)
        cold = int(wait_lines(logpath, 1)[0])
        for i in range(N):
            crash(sock, build)
        warm = [int(w) for w in wait_lines(logpath, N + 1)[1:]]
        peak = peak_kb(d.pid)
        d.terminate()
        d.wait()
        files = sorted(glob.glob(os.path.join(tmp, "spool", "pending", "*.json")))
        import json
        ev = json.load(open(files[-1]))
    return dict(cold=cold / 1000, warm=statistics.median(warm) / 1000, warms=warm, peak=peak,
                ev=ev)


def describe_event(ev):
    mods = [m["path"] for m in ev["context"]["modules"]]
    dwarf = 0
    for m in mods:
        dwarf += dwarf_bytes(m)
        dbg = debug_file(m)
        if dbg:
            dwarf += dwarf_bytes(dbg)
    frames = len(ev["stacktrace"])
    nvars = sum(len(f.get("vars", {})) for f in ev["stacktrace"])
    return dwarf, len(mods), frames, nvars


def compare(a, b):
    """Alternating runs of two builds: their warm reports side by side."""
    runs = {a: [], b: []}
    for _ in range(ROUNDS):
        for build in (b, a):
            runs[build].append(measure(build))
    for build in (a, b):
        warms = [w for r in runs[build] for w in r["warms"]]
        colds = [r["cold"] for r in runs[build]]
        print(f"{build}: warm median {statistics.median(warms) / 1000:.2f} ms "
              f"(p90 {sorted(warms)[int(0.9 * (len(warms) - 1))] / 1000:.2f}, {len(warms)} reports), "
              f"cold median {statistics.median(colds):.1f} ms, "
              f"peak {max(r['peak'] for r in runs[build]) / 1024:.1f} MiB")
    wa = statistics.median(w for r in runs[a] for w in r["warms"])
    wb = statistics.median(w for r in runs[b] for w in r["warms"])
    print(f"warm: {os.path.basename(a)} / {os.path.basename(b)} = {wa / wb:.3f}")


def main():
    if AGAINST:
        compare(BUILD, AGAINST)
        return
    r = measure(BUILD)
    dwarf, nmods, frames, nvars = describe_event(r["ev"])
    with tempfile.TemporaryDirectory() as tmp:
        gdb, gdb_frames = gdb_times(tmp)
    print(f"program: {' '.join(cmd)}")
    print(f"DWARF in the crashed process's modules: {dwarf / 1e6:.1f} MB ({nmods} modules)")
    print(f"event: {frames} frames, {nvars} variables; gdb bt full: {gdb_frames} frames")
    print(f"booboo record->spooled  cold {r['cold']:8.1f} ms   warm (median of {N}) {r['warm']:8.1f} ms")
    print(f"gdb -batch 'bt full' on a core: {gdb[0] * 1000:8.1f} ms (then {gdb[1] * 1000:.1f} ms)")
    print(f"ratio  cold 1/{gdb[0] * 1000 / r['cold']:.1f}   warm 1/{gdb[0] * 1000 / r['warm']:.1f}")
    print(f"daemon peak memory (VmHWM, with its workers): {r['peak'] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
