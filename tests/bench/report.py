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
import os, re, shutil, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import dwarf_bytes, gdb_bt_full, one_daemon  # noqa: E402

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


def debug_file(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    if m:
        p = f"/usr/lib/debug/.build-id/{m.group(1)[:2]}/{m.group(1)[2:]}.debug"
        if os.path.exists(p):
            return p
    return None


def measure(build):
    """One daemon of `build`: the first crash (cold) and N more (warm)."""
    r = one_daemon(build, cmd, N)
    # a build from before the worker logged its stages has none
    stages = r["stages"] or [(0,)]
    return dict(cold=r["cold"] / 1000, warm=statistics.median(r["warm"]) / 1000, warms=r["warm"],
                peak=r["peak"], ev=r["events"][-1], cold_work=stages[0][0],
                warm_works=[w[0] for w in stages[1:]] or [0])


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
        works = [w for r in runs[build] for w in r["warm_works"]]
        print(f"{build}: warm median {statistics.median(warms) / 1000:.2f} ms "
              f"(p90 {sorted(warms)[int(0.9 * (len(warms) - 1))] / 1000:.2f}, {len(warms)} reports; "
              f"the worker's work {statistics.median(works) / 1000:.2f} ms), "
              f"cold median {statistics.median(colds):.1f} ms "
              f"(work {statistics.median(r['cold_work'] for r in runs[build]) / 1000:.1f}), "
              f"peak {max(r['peak'] for r in runs[build]) / 1024:.1f} MiB")
    wa = statistics.median(w for r in runs[a] for w in r["warms"])
    wb = statistics.median(w for r in runs[b] for w in r["warms"])
    print(f"warm: {os.path.basename(a)} / {os.path.basename(b)} = {wa / wb:.3f}")
    wa = statistics.median(w for r in runs[a] for w in r["warm_works"])
    wb = statistics.median(w for r in runs[b] for w in r["warm_works"])
    if wa and wb:
        print(f"warm, the worker's work: {os.path.basename(a)} / {os.path.basename(b)} = "
              f"{wa / wb:.3f}")


def main():
    if AGAINST:
        compare(BUILD, AGAINST)
        return
    r = measure(BUILD)
    dwarf, nmods, frames, nvars = describe_event(r["ev"])
    with tempfile.TemporaryDirectory() as tmp:
        gdb, gdb_frames = gdb_bt_full(tmp, cmd)
    print(f"program: {' '.join(cmd)}")
    print(f"DWARF in the crashed process's modules: {dwarf / 1e6:.1f} MB ({nmods} modules)")
    print(f"event: {frames} frames, {nvars} variables; gdb bt full: {gdb_frames} frames")
    print(f"booboo record->spooled  cold {r['cold']:8.1f} ms   warm (median of {N}) {r['warm']:8.1f} ms")
    print(f"gdb -batch 'bt full' on a core: {gdb[0] * 1000:8.1f} ms (then {gdb[1] * 1000:.1f} ms)")
    print(f"ratio  cold 1/{gdb[0] * 1000 / r['cold']:.1f}   warm 1/{gdb[0] * 1000 / r['warm']:.1f}")
    print(f"daemon peak memory (VmHWM, with its workers): {r['peak'] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
