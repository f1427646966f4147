#!/usr/bin/python3
"""Benchmark (b): start-up cost of the preload.

Runs a small program N times without a preload, with LD_PRELOAD of an empty
library (what preloading anything costs on this machine: the loader opens
and maps one more file) and with LD_PRELOAD=libbooboo-shim.so, interleaved,
and prints the mean and median wall time of each and what the shim adds,
in all and beyond the empty library.
Usage: tests/bench/startup.py [BUILD_DIR] [N]
"""
import os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
SHIM = os.path.join(BUILD, "shim", "libbooboo-shim.so")


def once(prog, env):
    t = time.perf_counter_ns()
    pid = os.posix_spawn(prog, [prog], env)
    os.waitpid(pid, 0)
    return (time.perf_counter_ns() - t) / 1000.0


def main():
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "hello")
        src = os.path.join(tmp, "hello.c")
        with open(src, "w") as f:
            f.write("int main(void) { return 0; }\n")
        subprocess.check_call(["cc", "-O2", "-o", prog, src])
        empty = os.path.join(tmp, "libempty.so")
        with open(os.path.join(tmp, "empty.c"), "w") as f:
            f.write("int booboo_bench_empty;\n")
        subprocess.check_call(["cc", "-O2", "-shared", "-fPIC", "-o", empty,
                               os.path.join(tmp, "empty.c")])
        plain = dict(os.environ)
        plain.pop("LD_PRELOAD", None)
        envs = {"without a preload": plain,
                "empty library": dict(plain, LD_PRELOAD=empty),
                "with the shim": dict(plain, LD_PRELOAD=SHIM,
                                      BOOBOO_SOCKET=os.path.join(tmp, "none.sock"))}
        times = {k: [] for k in envs}
        for i in range(50 + N):
            for k, e in envs.items():
                t = once(prog, e)
                if i >= 50:                 # the first 50 warm the caches
                    times[k].append(t)
        print(f"{N} runs each, interleaved")
        for k, t in times.items():
            print(f"  {k:18s} mean {statistics.mean(t):7.1f} us  median {statistics.median(t):7.1f} us")
        med = {k: statistics.median(t) for k, t in times.items()}
        print(f"  added per start by the shim: {med['with the shim'] - med['without a preload']:6.1f} us"
              f" (median), of which any preload: "
              f"{med['empty library'] - med['without a preload']:6.1f} us, the shim's own: "
              f"{med['with the shim'] - med['empty library']:6.1f} us")


if __name__ == "__main__":
    main()
