#!/usr/bin/python3
"""Benchmark: what a report costs as the program grows.

Generates C programs of about 0.5, 5, 20 and 210 MiB of DWARF, all
crashing in the same small function three calls below main (a NULL
write), and for each prints the cold report (a fresh daemon, the first
crash of that program, after the worker's read-ahead of libc), the warm
one (median of N more crashes of the first daemon), the worker's own part
of both, gdb's `bt full` on a core of the same crash, and the daemon's
peak memory (the root part and its workers; "anon": without the mapped
files).  A report should cost what its frames need, not what the program
holds: the growth ratios of the cold report say how far it is from that.

A program is many units like a real one's (-O2 -g, 300 header types each
with -fno-eliminate-unused-debug-types, 40 functions of a few shapes:
loops with inlined helpers, switches, calls and tail calls, static
helpers, string tables; ~11 units and ~550 functions a MiB of DWARF,
libpython has ~7 and ~300), with the crashing unit in the middle of
.debug_info.  Eight units are compiled; the others are copies of their
assembly under names of their own (functions, strings, file), assembled:
the 210 MiB program builds in about two minutes on 2 cores.  Everything is
cached in /tmp/booboo-scale.
Usage: tests/bench/scale.py [BUILD_DIR] [N] [--sizes 0.5,5,20,210] [--cold R] [--no-gdb]
"""
import concurrent.futures, math, os, random, re, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import dwarf_bytes, gdb_bt_full, one_daemon  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = "/tmp/booboo-scale"
CFLAGS = ["-O2", "-g", "-fno-eliminate-unused-debug-types"]
HEADER_TYPES = 300       # structs (with a typedef and an enum each) every unit holds
UNIT_FUNCTIONS = 40      # functions of each bulk unit
TEMPLATES = 8            # bulk units compiled; the others are their renamed copies
MEMBER_TYPES = ["int", "long", "double", "unsigned char", "short", "float",
                "unsigned long", "char *", "const char *", "void *"]


def option(argv, name, default):
    if name not in argv:
        return default
    i = argv.index(name)
    value = argv[i + 1]
    del argv[i:i + 2]
    return value


argv = sys.argv[1:]
SIZES = [float(s) for s in option(argv, "--sizes", "0.5,5,20,210").split(",")]
COLD_RUNS = int(option(argv, "--cold", "5"))
GDB = "--no-gdb" not in argv
argv = [a for a in argv if a != "--no-gdb"]
BUILD = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "build"))
N = int(argv[1]) if len(argv) > 1 else 5


# ---- the programs --------------------------------------------------------

def header():
    """The program's header: every unit's DWARF holds all of its types."""
    r = random.Random(0)
    out = ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", ""]
    for k in range(HEADER_TYPES):
        prev = f"struct s{k - 1} *prev;" if k else "void *prev;"
        members = " ".join(f"{r.choice(MEMBER_TYPES)} f{m};" for m in range(10))
        out.append(f"struct s{k} {{ {prev} {members} char tag[8]; }};")
        out.append(f"typedef struct s{k} s{k}_t;")
        out.append(f"enum e{k} {{ " + ", ".join(f"E{k}_{m} = {m}" for m in range(6)) + " };")
    return "\n".join(out) + "\n"


def unit_type(i, j):
    """The header type function j of unit i takes."""
    return (i * 7 + j) % HEADER_TYPES


def bulk_function(i, j):
    """One of a unit's functions, of a few shapes that -O2 keeps apart:
    loops with inlined helpers, switches, calls (with call-site DWARF),
    static helpers, strings."""
    k, k_before = unit_type(i, j), unit_type(i, j - 1)
    f, p = f"g{i}_{j}", f"struct s{k} *p"
    shape = j % 4
    if shape == 0:
        return f"""static inline long h{j}(const struct s{k} *p, long v)
{{
	return v * 3 + (long)p->f{j % 10};
}}

long {f}({p}, int n)
{{
	long acc = n;
	char buf[24];

	for (int q = 0; q < n; q++)
		acc = h{j}(p, acc + q);
	snprintf(buf, sizeof buf, "%ld", acc);
	return acc + (long)strlen(buf);
}}
"""
    if shape == 1:
        cases = "".join(f"\tcase E{k}_{c}:\n\t\treturn n * {c + 2} + (long)p->f{c};\n"
                        for c in range(6))
        return f"""long {f}({p}, enum e{k} e, long n)
{{
	switch (e) {{
{cases}\t}}
	return -1;
}}
"""
    if shape == 2:
        return f"""static long {f}_step({p}, long v)
{{
	return p && p->prev ? v + {f}_step((struct s{k} *)p->prev, v / 2) : v;
}}

long {f}({p}, long v)
{{
	long r = {f}_step(p, v);

	if (r > 100)
		return g{i}_{j - 1}((struct s{k_before} *)p, E{k_before}_1, r);
	return r + 1;
}}
"""
    return f"""const char *{f}_names[] = {{ "a{i}_{j}", "b{i}_{j}", "c{i}_{j}" }};

int {f}({p}, const char *key)
{{
	for (unsigned q = 0; q < sizeof {f}_names / sizeof {f}_names[0]; q++)
		if (strcmp({f}_names[q], key) == 0)
			return (int)q + (p->f{j % 10} != 0);
	return (int)strlen(key);
}}
"""


def bulk_unit(i):
    """A unit of the program that is never on the crash's stack."""
    return '#include "types.h"\n\n' + "\n".join(bulk_function(i, j)
                                                  for j in range(UNIT_FUNCTIONS))


CRASH_UNIT = r'''#include "types.h"

struct order {
	int id;
	double amount;
	const char *customer;
	struct s3 *detail;
};

__attribute__((noinline)) static int charge(struct order *o, int *account)
{
	int cents = (int)(o->amount * 100);

	*(volatile int *)account = cents;	/* account is NULL: the crash */
	return cents;
}

__attribute__((noinline)) int process(struct order *o, int *account)
{
	int paid = charge(o, account);

	return paid + o->id;
}

int run_orders(int argc, char **argv)
{
	struct order o = { 42, 19.99, "ada", NULL };
	int *account = (int *)strtoul(argc > 1 ? argv[1] : "0", NULL, 0);

	return process(&o, account) + 1;
}
'''

MAIN_UNIT = '''int run_orders(int argc, char **argv);

int main(int argc, char **argv)
{
	int status = run_orders(argc, argv);

	return status & 0x7f;	/* not a tail call: main stays on the stack */
}
'''


def write_if_changed(path, text):
    if os.path.exists(path) and open(path).read() == text:
        return
    open(path, "w").write(text)


def stale(target, deps):
    return not os.path.exists(target) or any(os.path.getmtime(d) > os.path.getmtime(target)
                                             for d in deps)


def compile_c(name, text, flag="-c", suffix=".o"):
    """CACHE/name (C source `text`) compiled; the output's path."""
    src = os.path.join(CACHE, name)
    out = src[:-2] + suffix
    write_if_changed(src, text)
    if stale(out, [src, os.path.join(CACHE, "types.h")]):
        subprocess.run(["gcc", *CFLAGS, flag, src, "-o", out + ".tmp"], check=True)
        os.replace(out + ".tmp", out)
    return out


def template(t):
    """Template unit t compiled to assembly: the bulk units are copies of
    the templates under names of their own, assembled (a tenth of a
    compile's time: the 210 MiB program takes minutes, not an hour)."""
    return compile_c(f"tmpl{t}.c", bulk_unit(t), "-S", ".s")


def bulk_object(i):
    """Unit i: template i % TEMPLATES with its functions, strings and file
    renamed (g3_12 -> g2307_12), so that every unit has symbols, DWARF
    names and a line table of its own."""
    t = i % TEMPLATES
    asm, obj = os.path.join(CACHE, f"tmpl{t}.s"), os.path.join(CACHE, f"bulk{i}.o")
    if stale(obj, [asm]):
        text = re.sub(rf"\b([gabc]){t}_(\d+)", rf"\g<1>{i}_\2", open(asm).read())
        text = text.replace(f"tmpl{t}.c", f"bulk{i}.c")
        subprocess.run(["as", "-o", obj + ".tmp", "-"], input=text, text=True, check=True)
        os.replace(obj + ".tmp", obj)
    return obj


def parallel(fn, args):
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        return list(pool.map(fn, args))


def link(name, n):
    """The program of n bulk units, the crashing unit in the middle of
    .debug_info (not first, where a scan from the start would stop)."""
    parallel(template, range(TEMPLATES))
    main, crashing = compile_c("main.c", MAIN_UNIT), compile_c("crash.c", CRASH_UNIT)
    bulk = parallel(bulk_object, range(n))
    order = [main] + bulk[:n // 2] + [crashing] + bulk[n // 2:]
    exe = os.path.join(CACHE, name)
    listed = exe + ".objects"
    if (stale(exe, order) or not os.path.exists(listed) or
            open(listed).read() != "\n".join(order)):
        subprocess.run(["gcc", "-o", exe + ".tmp", *order], check=True)
        os.replace(exe + ".tmp", exe)
        open(listed, "w").write("\n".join(order))
    return exe


def unit_bytes():
    """The DWARF a bulk unit adds to a linked program, and the rest's."""
    alone, eight = dwarf_bytes(link("probe-0", 0)), dwarf_bytes(link("probe-8", 8))
    return (eight - alone) / 8, alone


def program(mib, per_unit, alone):
    """The program of about `mib` MiB of DWARF: its path and unit count."""
    n = max(1, math.ceil((mib * 2**20 - alone) / per_unit))
    print(f"{n} units for {mib:g} MiB...", file=sys.stderr, flush=True)
    return link(f"prog-{mib:g}", n), n + 2


# ---- measuring -------------------------------------------------------------

def report_once(exe, warm_n):
    """A fresh daemon: the first crash of exe (cold) and warm_n more."""
    r = one_daemon(BUILD, [exe, "0"], warm_n)
    frames = [f["function"] for f in reversed(r["events"][0]["stacktrace"])]
    return dict(cold=r["cold"], cold_stages=r["stages"][0], warm=r["warm"],
                warm_work=[w[0] for w in r["stages"][1:]], peak=r["peak"], anon=r["anon"],
                frames=frames)


def median_ms(values):
    return statistics.median(values) / 1000 if values else float("nan")


def measure(exe):
    """COLD_RUNS fresh daemons, the first also crashed N more times."""
    runs = [report_once(exe, N if r == 0 else 0) for r in range(COLD_RUNS)]
    gdb = None
    if GDB:
        with tempfile.TemporaryDirectory() as tmp:
            gdb = gdb_bt_full(tmp, [exe, "0"], runs=1)[0][0]
    return dict(cold=median_ms([r["cold"] for r in runs]),
                cold_work=median_ms([r["cold_stages"][0] for r in runs]),
                symbolize=median_ms([r["cold_stages"][1] for r in runs]),
                warm=median_ms(runs[0]["warm"]), warm_work=median_ms(runs[0]["warm_work"]),
                peak=max(r["peak"] for r in runs) / 1024, anon=max(r["anon"] for r in runs) / 1024,
                gdb=gdb, frames=runs[0]["frames"])


def main():
    os.makedirs(CACHE, exist_ok=True)
    write_if_changed(os.path.join(CACHE, "types.h"), header())
    per_unit, alone = unit_bytes()
    rows = []
    for mib in SIZES:
        exe, units = program(mib, per_unit, alone)
        rows.append((mib, dwarf_bytes(exe) / 2**20, units, measure(exe)))
    print(f"build: {BUILD}")
    print(f"cold: median of {COLD_RUNS} fresh daemons; warm: median of {N} more crashes; "
          "work: the worker's own part of it")
    print(f"frames: {' < '.join(rows[0][3]['frames'][:5])} < ...")
    print(f"{'DWARF MiB':>10} {'units':>6} {'cold ms':>8} {'work':>6} {'symbolize':>9} "
          f"{'warm ms':>8} {'work':>6} {'gdb ms':>7} {'peak MiB':>9} {'anon':>5}")
    for mib, size, units, m in rows:
        gdb = f"{m['gdb'] * 1000:7.0f}" if m["gdb"] is not None else f"{'-':>7}"
        print(f"{size:10.1f} {units:6d} {m['cold']:8.1f} {m['cold_work']:6.1f} "
              f"{m['symbolize']:9.1f} {m['warm']:8.1f} {m['warm_work']:6.1f} {gdb} "
              f"{m['peak']:9.1f} {m['anon']:5.1f}")
    base = rows[0]
    for mib, size, units, m in rows[1:]:
        print(f"x{size / base[1]:.0f} DWARF ({base[1]:.1f} -> {size:.1f} MiB): "
              f"cold x{m['cold'] / base[3]['cold']:.2f} (work x{m['cold_work'] / base[3]['cold_work']:.2f}), "
              f"warm x{m['warm'] / base[3]['warm']:.2f}")


if __name__ == "__main__":
    main()
