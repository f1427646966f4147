#!/usr/bin/python3
"""Benchmark (a): how long a crashing process is held by the daemon.

For N crashes of tests/bench/crashme, cold (a fresh daemon for every crash)
and warm (one daemon for all), prints p50/p99 of
  - hold:   the daemon's own measure, record received -> ack sent (us)
  - extra:  the crashing program's wall time with the daemon minus the
            same crash with no daemon listening (us)
  - total:  record received -> event spooled (us)
Any other crashing command can be given after -- (say, a Python program
under /usr/bin/python3.11: the hold then includes reading its frames).
Usage: tests/bench/hold.py [BUILD_DIR] [N] [-- CMD ARGS...]
"""
import os, re, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import knows_key  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
argv = sys.argv[1:]
CMD = None
if "--" in argv:
    CMD = argv[argv.index("--") + 1:]
    argv = argv[:argv.index("--")]
BUILD = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "build"))
N = int(argv[1]) if len(argv) > 1 else 100
GAP = 0.05  # seconds between crashes: latency, not a burst's queue
SHIM = os.path.join(BUILD, "shim", "libbooboo-shim.so")
DAEMON = os.path.join(BUILD, "daemon", "boobood")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def start_daemon(tmp, log):
    conf = os.path.join(tmp, "booboo.conf")
    sock = os.path.join(tmp, "s.sock")
    text = f"socket = {sock}\nspool_dir = {tmp}/spool\n"
    # drops of its own, and every crash reported: the 11th identical crash
    # of a window would be held back as a repeat (group_burst)
    for key, value in (("drop_dir", f"{tmp}/drops"), ("group_burst", "100000")):
        if knows_key(DAEMON, key):
            text += f"{key} = {value}\n"
    with open(conf, "w") as f:
        f.write(text)
    p = subprocess.Popen([DAEMON, "-f", "-d", "-c", conf], stderr=log)
    for _ in range(500):
        if os.path.exists(sock):
            return p, sock
        time.sleep(0.01)
    raise SystemExit("daemon did not start")


def crash(prog, sock):
    # the baseline's crashes, with no daemon listening, leave drops: in a
    # directory of their own, never in the system's for its daemon to report
    env = dict(os.environ, LD_PRELOAD=SHIM, BOOBOO_SOCKET=sock,
               BOOBOO_DROP_DIR=os.path.join(os.path.dirname(sock), "drops"))
    t = time.perf_counter()
    subprocess.run(CMD or [prog, "0"], env=env, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1e6


def parse(logpath):
    text = open(logpath).read()
    held = [int(x) for x in re.findall(r"held (\d+) us", text)]
    total = [int(x) for x in re.findall(r"record to spool in (\d+) us", text)]
    work = [int(x) for x in re.findall(r"record to event in \d+ us \((\d+) us of work", text)]
    return held, total, work


def run(prog, cold):
    held, total, extra = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        logpath = os.path.join(tmp, "log")
        base = [crash(prog, os.path.join(tmp, "nobody.sock")) for _ in range(20)]
        baseline = statistics.median(base)
        with open(logpath, "w") as log:
            d, sock = (None, None) if cold else start_daemon(tmp, log)
            for i in range(N):
                if cold:
                    d, sock = start_daemon(tmp, log)
                extra.append(crash(prog, sock) - baseline)
                time.sleep(GAP)
                if cold:
                    d.terminate()
                    d.wait()
            if not cold:
                time.sleep(0.5)
                d.terminate()
                d.wait()
        held, total, work = parse(logpath)
    return held, total, work, extra


def main():
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "crashme")
        subprocess.check_call(["cc", "-g", "-O1", "-o", prog,
                               os.path.join(ROOT, "tests", "bench", "crashme.c")])
        for name, cold in (("warm", False), ("cold", True)):
            held, total, work, extra = run(prog, cold)
            print(f"{name}: {len(held)} crashes, {GAP * 1000:.0f} ms apart")
            for label, v in (("hold (record->ack)", held), ("app wall-time added", extra),
                             ("record->spooled", total), ("of which work", work)):
                if v:
                    print(f"  {label:22s} p50 {pct(v, 50) / 1000:7.2f} ms   p99 {pct(v, 99) / 1000:7.2f} ms")


if __name__ == "__main__":
    main()
