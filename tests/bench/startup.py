#!/usr/bin/python3
"""Benchmark (b): start-up cost of the preload.

Runs a small program N times with and without LD_PRELOAD=libbooboo-shim.so,
interleaved, and prints the mean and median wall time of each and the
difference per start.  Usage: tests/bench/startup.py [BUILD_DIR] [N]
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
        plain = dict(os.environ)
        plain.pop("LD_PRELOAD", None)
        shim = dict(plain, LD_PRELOAD=SHIM, BOOBOO_SOCKET=os.path.join(tmp, "none.sock"))
        for _ in range(50):
            once(prog, plain)
            once(prog, shim)
        a, b = [], []
        for _ in range(N):
            a.append(once(prog, plain))
            b.append(once(prog, shim))
        print(f"{N} runs each")
        print(f"  without shim: mean {statistics.mean(a):7.1f} us  median {statistics.median(a):7.1f} us")
        print(f"  with shim:    mean {statistics.mean(b):7.1f} us  median {statistics.median(b):7.1f} us")
        print(f"  added per start: mean {statistics.mean(b) - statistics.mean(a):6.1f} us, "
              f"median {statistics.median(b) - statistics.median(a):6.1f} us")


if __name__ == "__main__":
    main()
