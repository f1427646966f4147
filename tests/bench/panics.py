#!/usr/bin/python3
"""Benchmark: what the shim adds to a Rust panic that the program catches.

tests/integration/programs/rust_unwind.rs catches a panic (an index past
the end of a Vec) N times in a loop and prints the time per panic; it runs
R times without the shim and R times with it and a daemon listening
(fresh processes, alternating), with each rustc there is: Debian's, and
rustup's.  The site's first panic, held while the daemon reads its stack,
is in the figure; the others are counted.  stderr (the hook's words, which
the shim reads) goes to a pipe, drained.
Usage: tests/bench/panics.py [BUILD_DIR] [N] [R]
"""
import os, re, statistics, subprocess, sys, tempfile

from benchlib import run_daemon

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
R = int(sys.argv[3]) if len(sys.argv) > 3 else 5
SHIM = os.path.join(BUILD, "shim", "libbooboo-shim.so")
SOURCE = os.path.join(ROOT, "tests", "integration", "programs", "rust_unwind.rs")
RUSTCS = ["/usr/bin/rustc", os.path.expanduser("~/.cargo/bin/rustc")]


def per_panic(prog, env):
    out = subprocess.run([prog, "loop", str(N)], env=env, capture_output=True, text=True).stdout
    return float(re.search(r"([\d.]+) us per panic", out).group(1))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        daemon, sock, _ = run_daemon(tmp, BUILD)
        plain = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "RUST_BACKTRACE")}
        shim = dict(plain, LD_PRELOAD=SHIM, BOOBOO_SOCKET=sock)
        try:
            for rustc in RUSTCS:
                if not os.path.exists(rustc):
                    continue
                prog = os.path.join(tmp, "rust_unwind")
                subprocess.run([rustc, "-g", "-C", "opt-level=0", "-o", prog, SOURCE], check=True)
                version = subprocess.run([rustc, "--version"], capture_output=True,
                                         text=True).stdout.strip()
                a, b = [], []
                for _ in range(R):
                    a.append(per_panic(prog, plain))
                    b.append(per_panic(prog, shim))
                print(f"{version}: {N} caught panics, {R} runs each, alternating")
                print(f"  without the shim  median {statistics.median(a):6.2f} us per panic "
                      f"({min(a):.2f}..{max(a):.2f})")
                print(f"  with the shim     median {statistics.median(b):6.2f} us per panic "
                      f"({min(b):.2f}..{max(b):.2f})")
                print(f"  added per panic: {statistics.median(b) - statistics.median(a):+.2f} us")
        finally:
            daemon.terminate()
            daemon.wait()


if __name__ == "__main__":
    main()
