"""Security review, item 5: the source cache is bounded by bytes.  It kept
64 files of up to 16 MiB each (and a line index of 8 bytes a line) for
good: three crashes in big source files took the daemon from 27 MB to
470 MB.  Now at most 32 MiB of files are kept, least recently used out
first, and every report still has its source context."""
import os
import subprocess

import pytest

from conftest import run_shim

MIB = 1 << 20
CRASH_LINE = 22          # in the big file, near the top: context on both sides
BOUND = 64 * MIB         # the daemon's growth allowed over the three reports


def daemon_tree_rss(pid):
    """VmRSS of pid and all its descendants (the daemon may run workers),
    by the PPid chains in /proc."""
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:                     # gone meanwhile
            continue
        parents[int(entry)] = int(fields["PPid"])
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    tree, grew = {pid}, True
    while grew:
        kids = {p for p, pp in parents.items() if pp in tree} - tree
        tree |= kids
        grew = bool(kids)
    return sum(rss.get(p, 0) for p in tree)


def instrumented(pid):
    """An ASan daemon keeps freed memory in quarantine: its RSS says nothing."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def big_source(path, n):
    """~15 MiB of short lines (the line index costs as much as the text), a
    recognisable line where the program crashes."""
    head = [f"/* big source {n}, line {i} */" for i in range(1, 31)]
    head[CRASH_LINE - 1] = f"\t*p = {n};\t/* the crash in big file {n} */"
    pad = b"//pad.\n" * ((15 * MIB) // 7)
    with open(path, "wb") as f:
        f.write("\n".join(head).encode() + b"\n" + pad)


def crashing_program(tmp_path, n, source):
    """A program whose crashing function the debug info places in source."""
    src = tmp_path / f"prog{n}.c"
    src.write_text(f'#line {CRASH_LINE - 2} "{source}"\n'
                   "__attribute__((noinline)) void boom(volatile int *p)\n"
                   "{\n"
                   f"\t*p = {n};\n"
                   "}\n"
                   f'#line 1 "{src}"\n'
                   "int main(void) { boom(0); return 0; }\n")
    exe = str(tmp_path / f"prog{n}")
    subprocess.run(["gcc", "-g", "-O0", "-o", exe, str(src)], check=True)
    return exe


def test_big_source_files_do_not_stay_in_memory(programs, daemon, tmp_path):
    # warm up: libc's debug info, the first report's allocations
    _, pid = run_shim(programs.build("crash_null.c"), sock=daemon.socket)
    daemon.event_for_pid(pid)
    baseline = daemon_tree_rss(daemon.proc.pid)

    sources = [str(tmp_path / f"big{n}.c") for n in range(3)]
    try:
        for n, source in enumerate(sources):
            big_source(source, n)
            _, pid = run_shim(crashing_program(tmp_path, n, source), sock=daemon.socket)
            ev = daemon.event_for_pid(pid, timeout=60)
            frame = next(f for f in ev["stacktrace"] if f.get("function") == "boom")
            assert frame["filename"] == source and frame["lineno"] == CRASH_LINE
            # the source context is there, tabs and all
            assert frame["context_line"] == f"\t*p = {n};\t/* the crash in big file {n} */"
            assert frame["pre_context"][-1] == f"/* big source {n}, line {CRASH_LINE - 1} */"
            assert frame["post_context"][0] == f"/* big source {n}, line {CRASH_LINE + 1} */"
        grown = daemon_tree_rss(daemon.proc.pid) - baseline
    finally:
        for s in sources:
            if os.path.exists(s):
                os.unlink(s)
    if instrumented(daemon.proc.pid):
        pytest.skip(f"ASan daemon (grew {grown // MIB} MiB): only the context is checked")
    assert grown < BOUND, f"the daemon grew by {grown // MIB} MiB over three reports"
