#!/usr/bin/python3
"""Benchmark: what a handled error costs the program.

booboo_capture_message() in a loop against a running daemon (p50/p99 of
one call, and how many events reach the spool for N identical messages),
and booboo_capture_error() (the calling thread waits while its stack is
read: p50/p99 warm).
Usage: tests/bench/message.py [BUILD_DIR] [N]
"""
import glob, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
SHIM_DIR = os.path.join(BUILD, "shim")
PROGRAMS = os.path.join(ROOT, "tests", "integration", "programs")

ERRORS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "booboo.h"
static long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
static int cmp(const void *a, const void *b) { long x = *(const long *)a, y = *(const long *)b; return (x > y) - (x < y); }
int main(int argc, char **argv) {
    int n = atoi(argv[1]); long *t = calloc(n, sizeof(*t));
    for (int i = 0; i < n; i++) { long s = now_ns(); booboo_capture_error("Timeout", "upstream"); t[i] = now_ns() - s; }
    qsort(t + n / 5, n - n / 5, sizeof(*t), cmp);   /* the first fifth: warm-up */
    int m = n - n / 5;
    printf("p50_us %.1f p99_us %.1f\n", t[n / 5 + m / 2] / 1000.0, t[n / 5 + m * 99 / 100] / 1000.0);
    return 0; }
"""


def build(tmp, name, src):
    out = os.path.join(tmp, name)
    subprocess.check_call(["cc", "-O1", "-g", "-I" + os.path.join(ROOT, "shim"), "-o", out, src,
                           os.path.join(SHIM_DIR, "libbooboo-shim.so"), "-Wl,-rpath," + SHIM_DIR])
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        conf, sock = os.path.join(tmp, "c.conf"), os.path.join(tmp, "s.sock")
        open(conf, "w").write(f"socket = {sock}\nspool_dir = {tmp}/spool\ncache_dir = {tmp}/cache\n"
                              f"drop_dir = {tmp}/drops\ngroup_window_s = 2\n"
                              "uid_max_queued = 1024\n")
        d = subprocess.Popen([os.path.join(BUILD, "daemon", "boobood"), "-f", "-c", conf],
                             stderr=subprocess.DEVNULL)
        while not os.path.exists(sock):
            time.sleep(0.01)
        time.sleep(0.3)
        env = dict(os.environ, BOOBOO_SOCKET=sock)
        loop = build(tmp, "message_loop", os.path.join(PROGRAMS, "message_loop.c"))
        out = subprocess.run([loop, str(N)], env=env, capture_output=True, text=True).stdout
        print(f"capture_message x{N}: {out.strip()}")
        time.sleep(3)
        evs = [json.load(open(f)) for f in glob.glob(os.path.join(tmp, "spool", "pending", "*.json"))]
        total = sum(1 + e["context"].get("repeats", {}).get("count", 0) for e in evs)
        print(f"  reached the spool as {len(evs)} events standing for {total} messages")
        src = os.path.join(tmp, "errors.c")
        open(src, "w").write(ERRORS)
        errs = build(tmp, "errors", src)
        out = subprocess.run([errs, "200"], env=env, capture_output=True, text=True).stdout
        print(f"capture_error x200 (warm): {out.strip()}")
        d.terminate()
        d.wait()


if __name__ == "__main__":
    main()
