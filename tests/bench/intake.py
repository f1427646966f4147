#!/usr/bin/python3
"""Benchmark: no client can stall the intake.

Crashes a small program N times and reads the daemon's own measure of each
hold ("held N us", record to release), first alone, then while `nobody`
keeps 1000 connections to the socket that are idle, slow (they send after
a while) or send garbage, reopened as the daemon closes them.
Usage: tests/bench/intake.py [BUILD_DIR] [N]   (as root)
"""
import os, pwd, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 50
NOBODY = pwd.getpwnam("nobody").pw_uid

FLOOD = r"""
import os, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
conns = []
def fresh():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setblocking(False)
    try:
        s.connect(path)
    except OSError:
        s.close()
        return None
    return s
t0 = time.monotonic()
while time.monotonic() - t0 < float(sys.argv[3]):
    conns = [c for c in conns if c.fileno() >= 0]
    while len(conns) < n:
        c = fresh()
        if c is None:
            break
        conns.append(c)
    for i, c in enumerate(conns):
        if i % 3 == 1 and time.monotonic() % 1 < 0.01:
            try:
                c.send(b"slow and short")      # a slow sender, then garbage
            except OSError:
                c.close()
    time.sleep(0.05)
    for c in list(conns):                      # the daemon closed it: reopen
        try:
            if c.recv(8, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                c.close()
        except BlockingIOError:
            pass
        except OSError:
            c.close()
"""


def holds(logpath, since):
    text = open(logpath).read()[since:]
    return [int(x) for x in re.findall(r"held (\d+) us \(record to release\)", text)], \
        since + len(text)


def crash(prog, sock, n):
    env = dict(os.environ, LD_PRELOAD=os.path.join(BUILD, "shim", "libbooboo-shim.so"),
               BOOBOO_SOCKET=sock)
    for _ in range(n):
        subprocess.run([prog], env=env, stderr=subprocess.DEVNULL)
        time.sleep(0.03)


def main():
    tmp = tempfile.mkdtemp(prefix="booboo-intake-")
    os.chmod(tmp, 0o755)
    prog = os.path.join(tmp, "crash")
    subprocess.check_call(["cc", "-O1", "-o", prog, os.path.join(ROOT, "tests", "bench", "crashme.c")])
    conf, sock, logpath = os.path.join(tmp, "c.conf"), os.path.join(tmp, "s.sock"), os.path.join(tmp, "log")
    open(conf, "w").write(f"socket = {sock}\nspool_dir = {tmp}/spool\ncache_dir = {tmp}/cache\n"
                          f"drop_dir = {tmp}/drops\ngroup_burst = 100000\n")
    d = subprocess.Popen([os.path.join(BUILD, "daemon", "boobood"), "-f", "-d", "-c", conf],
                         stderr=open(logpath, "w"))
    while not os.path.exists(sock):
        time.sleep(0.01)
    time.sleep(0.5)
    crash(prog, sock, 5)                       # warm
    _, pos = holds(logpath, 0)
    crash(prog, sock, N)
    alone, pos = holds(logpath, pos)
    flood = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                              sys.executable, "-c", FLOOD, sock, "1000", str(N * 0.2 + 20)])
    time.sleep(2)
    crash(prog, sock, N)
    flooded, _ = holds(logpath, pos)
    flood.kill()
    d.terminate()
    d.wait()
    for name, v in (("alone", alone), ("with 1000 idle/slow/garbage connections", flooded)):
        v = sorted(v)
        print(f"hold {name:42s} n={len(v):3d} p50 {statistics.median(v) / 1000:6.2f} ms  "
              f"p99 {v[int(0.99 * (len(v) - 1))] / 1000:6.2f} ms")
    print(f"p50 difference: {(statistics.median(flooded) - statistics.median(alone)) / 1000:+.2f} ms")


if __name__ == "__main__":
    main()
