"""What report.py and scale.py share: a daemon of a given build with its
--debug log, crashes of a command under the shim, the log's timings, the
daemon's peak memory, DWARF sizes and gdb's `bt full` on a core."""
import glob, json, os, re, subprocess, tempfile, time


def dwarf_bytes(path):
    """The bytes of a file's .debug_* (and .zdebug_*) sections."""
    out = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True).stdout
    total = 0
    for line in out.splitlines():
        m = re.search(r"\] (\.z?debug_\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)", line)
        if m:
            total += int(m.group(2), 16)
    return total


def knows_key(daemon, key):
    """Does this build's daemon take the configuration key?"""
    with open(daemon, "rb") as f:
        return key.encode() + b"\0" in f.read()


def run_daemon(tmp, build):
    """A fresh daemon of `build` in local mode; returns it, its socket and
    its log once the worker has read libc's debug info ahead."""
    conf = os.path.join(tmp, "c.conf")
    sock = os.path.join(tmp, "s.sock")
    logpath = os.path.join(tmp, "log")
    daemon = os.path.join(build, "daemon", "boobood")
    # drops of its own: the system directory holds other programs' crashes;
    # every crash spooled: the same one again and again is what is measured
    # (keys an older build, run --against, does not know are left out)
    text = f"socket = {sock}\nspool_dir = {tmp}/spool\n"
    for key, value in (("drop_dir", f"{tmp}/drops"), ("group_burst", "100000")):
        if knows_key(daemon, key):
            text += f"{key} = {value}\n"
    open(conf, "w").write(text)
    log = open(logpath, "w")
    p = subprocess.Popen([daemon, "-f", "-d", "-c", conf], stderr=log)
    while not os.path.exists(sock):
        if p.poll() is not None:
            raise SystemExit(f"{daemon} did not start:\n{open(logpath).read()}")
        time.sleep(0.01)
    # cold means: this program has never crashed here; the daemon's own
    # read-ahead of libc's debug info at start-up is allowed to finish
    for _ in range(500):
        if "read ahead" in open(logpath).read():
            break
        time.sleep(0.01)
    return p, sock, logpath


def crash(sock, build, cmd):
    env = dict(os.environ, LD_PRELOAD=os.path.join(build, "shim", "libbooboo-shim.so"),
               BOOBOO_SOCKET=sock)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_lines(logpath, n):
    """The first n "record to spool" times (us), waiting for them."""
    for _ in range(6000):
        got = re.findall(r"record to spool in (\d+) us", open(logpath).read())
        if len(got) >= n:
            return got
        time.sleep(0.01)
    tail = "".join(open(logpath).readlines()[-15:])
    raise SystemExit(f"no event after a minute; the daemon's log ends with:\n{tail}")


def work_stages(logpath):
    """The worker's (work, symbolize, source and locals, event) us of each
    report: its own time, without the hold, the queues and the spool."""
    return [tuple(int(x) for x in m) for m in re.findall(
        r"\((\d+) us of work: symbolize (\d+), source and locals (\d+), event (\d+)\)",
        open(logpath).read())]


def peak_kb(pid, field="VmHWM"):
    """A /proc/PID/status figure (kB) of the daemon and of its workers,
    added up: by default their peak memory."""
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
            if line.startswith(field + ":"):
                total += int(line.split()[1])
    return total


def gdb_bt_full(tmp, cmd, runs=2):
    """Seconds of each `gdb -batch -ex 'bt full'` on a core of cmd's crash,
    and the frames gdb shows."""
    core = os.path.join(tmp, "core")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run(["gdb", "-batch", "-nx", "-ex", "run", "-ex", f"generate-core-file {core}",
                    "--args", *cmd], capture_output=True, env=env, timeout=1200)
    times, out = [], ""
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(["gdb", "-batch", "-nx", "-ex", "bt full", cmd[0], core],
                             capture_output=True, text=True, env=env, timeout=1200).stdout
        times.append(time.perf_counter() - t)
    return times, out.count("\n#")


def one_daemon(build, cmd, warm_n):
    """A fresh daemon of `build`: cmd's first crash (cold) and warm_n more.
    Times in us (record to spool), the worker's stages of each report
    (work_stages), peak and anonymous memory (kB), and the first and last
    events."""
    with tempfile.TemporaryDirectory() as tmp:
        d, sock, logpath = run_daemon(tmp, build)
        crash(sock, build, cmd)
        cold = int(wait_lines(logpath, 1)[0])
        for _ in range(warm_n):
            crash(sock, build, cmd)
        warm = [int(w) for w in wait_lines(logpath, warm_n + 1)[1:]]
        # the worker logs its stages after it sent the event: maybe after
        # the root part logged it spooled
        for _ in range(500):
            stages = work_stages(logpath)
            if len(stages) > warm_n:
                break
            time.sleep(0.01)
        peak, anon = peak_kb(d.pid), peak_kb(d.pid, "RssAnon")
        d.terminate()
        d.wait()
        files = sorted(glob.glob(os.path.join(tmp, "spool", "pending", "*.json")))
        events = [json.load(open(files[0])), json.load(open(files[-1]))]
    return dict(cold=cold, warm=warm, stages=stages, peak=peak, anon=anon, events=events)
