"""Issue 7, parts 2 and 3: values of library types (libstdc++'s containers,
container adaptors, bitset, smart pointers, optional, variant, tuple,
iterators, atomics; Rust's String, &str, OsString, Vec, VecDeque, Option,
Result, Box, Rc, Arc, Cell, RefCell, HashMap, BTreeMap, BTreeSet, NonZero,
slices, enums) as gdb's pretty printers show them, compared character for
character with gdb's `bt full` (rust-gdb for Rust) on a core of the same
crash once addresses are normalised; and secrets inside values: a member,
field or string-keyed map entry with a sensitive name is [filtered] at any
depth, and no secret string is anywhere in the event."""
import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import PROGRAMS, base_function, gdb_frames, run_shim, split_params

ADDR = re.compile(r"0x[0-9a-f]{5,}")
FRAME = re.compile(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(.+?) \((.*)\) at (\S+):(\d+)$")
SENSITIVE = re.compile(r"password|passwd|secret|token|api_?key|access_key|auth|credential|private",
                       re.I)
VALUE_MAX = 200         # our cut, "..." included

CPP_SECRETS = ("hunter2-secret-value", "tok-abcdef-123", "pw-one-xyz", "deep-secret-42",
               "queued-pw-555")
RUST_SECRETS = ("s3cr3t-pass", "tok-xyz-987", "nested-secret-77", "cell-secret-31",
                "tree-tok-55")


def norm(value):
    return ADDR.sub("0xADDR", value)


def gdb_vars(prog, source, gdb="gdb", args=()):
    """gdb's frames in source, innermost first: (function, {name: value}),
    parameters printed in full (print frame-arguments all)."""
    _, out = gdb_frames(prog, *args, commands=("set print frame-arguments all", "bt full"), gdb=gdb)
    frames = []
    for line in out.splitlines():
        if line.startswith("#"):
            m = FRAME.match(line)
            frames.append(None if not m or not m.group(3).endswith(source) else
                          (m.group(1), {k: re.sub(r"^\w+@entry=", "", v)
                                        for k, v in split_params(m.group(2)).items()}))
        elif frames and frames[-1] and line.startswith("        ") and " = " in line:
            name, _, val = line.strip().partition(" = ")
            frames[-1][1].setdefault(name, val)
    return [f for f in frames if f], out


# A quoted string, a {...} without nested braces, or a plain token: what a
# secret member's value looks like in gdb's text.
_VAL = r'(?:"(?:[^"\\]|\\.)*"(?:\.\.\.)?|\{[^{}]*\}|[^,{}()\s]+)'
_MEMBER = re.compile(r"(?<![\w\"])(\w+)( = |: )" + _VAL)
_KEY = re.compile(r'(\["((?:[^"\\]|\\.)*)"\] = )' + _VAL)


def filtered(name, value):
    """gdb's text as we send it: a sensitive variable, member, field or
    string key's value is [filtered]."""
    if SENSITIVE.search(name):
        return "[filtered]"
    value = _MEMBER.sub(lambda m: m.group(1) + m.group(2) + "[filtered]"
                        if SENSITIVE.search(m.group(1)) else m.group(0), value)
    return _KEY.sub(lambda m: m.group(1) + "[filtered]" if SENSITIVE.search(m.group(2))
                    else m.group(0), value)


def cut(value):
    """Our 200-character cut of a longer value."""
    if len(value) <= VALUE_MAX:
        return value
    return value[:VALUE_MAX - 3] + "..."


def compare(ev, prog, source, gdb="gdb", skip=None, unknown_ok=False, args=()):
    """Every variable of our frames in source against gdb's: returns
    (compared, mismatches, excluded).  skip: {name: why} for what gdb
    prints and we deliberately do not; unknown_ok: a value either side
    cannot know (optimized code) is not compared."""
    theirs, out = gdb_vars(prog, source, gdb, args)
    ours = [f for f in reversed(ev["stacktrace"]) if f.get("filename", "").endswith(source)]
    assert [base_function(f["function"]) for f in ours] == \
           [base_function(f[0]) for f in theirs], out
    compared, mismatches, excluded = 0, [], 0
    for o, (function, want) in zip(ours, theirs):
        for name, value in want.items():
            if name.startswith("__") or name == "this":
                continue
            if skip and name in skip:
                excluded += 1
                continue
            got = o["vars"].get(name)
            unknown = ("<optimized out>", "<synthetic pointer>")
            if unknown_ok and (value in unknown or got in unknown or got is None):
                continue
            compared += 1
            expect = cut(filtered(name, value))
            if got is None or norm(got) != norm(expect):
                mismatches.append(f"{function}: {name}:\n   ours {got!r}\n   gdb  {expect!r}")
    return compared, mismatches, excluded


def no_secrets(ev, secrets):
    text = json.dumps(ev)
    for s in secrets:
        for part in (s, s[:len(s) // 2], s[len(s) // 2:]):
            assert part not in text, f"{part!r} of a secret is in the event"


def check(ev, prog, source, label, minimum, secrets, **how):
    """Every variable against gdb's, at least `minimum` of them, and no
    secret anywhere in the event."""
    compared, mismatches, excluded = compare(ev, prog, source, **how)
    print(f"{label}: {compared} compared, {compared - len(mismatches)} equal, {excluded} excluded")
    assert compared >= minimum
    assert not mismatches, "\n".join(mismatches)
    no_secrets(ev, secrets)


def crash(daemon, prog, *args):
    res, pid = run_shim(prog, *args, sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV, res.stderr
    return daemon.event_for_pid(pid)


# ---- C++ -------------------------------------------------------------------------

def test_cpp_library_values_equal_gdb_at_O0(programs, daemon):
    prog = programs.build("stl_values.cpp", ("-O0",))
    ev = crash(daemon, prog)
    check(ev, prog, "stl_values.cpp", "C++ -O0", 49, CPP_SECRETS)
    top = [f for f in ev["stacktrace"] if base_function(f["function"]) == "crash"][0]["vars"]
    assert top["login"] == '{name = "ops", password = [filtered], port = 5432}'
    assert top["pending"] == ('std::queue wrapping: std::deque with 1 element = '
                              '{{name = "q", password = [filtered], port = 2}}')
    assert top["bits8"] == "std::bitset = {[0] = 1, [2] = 1, [5] = 1, [7] = 1}"
    assert top["cfg"] == ('std::map with 2 elements = {["api_token"] = [filtered], '
                          '["host"] = "db1"}')


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_cpp_edge_values_equal_gdb(programs, daemon, opt):
    """Empty, long (past gdb's 200 elements, past our 200 characters) and
    nested containers, iterators at the end, optional and variant holding
    containers."""
    prog = programs.build("stl_values.cpp", (opt,))
    ev = crash(daemon, prog, "edges")
    check(ev, prog, "stl_values.cpp", f"C++ {opt} edges", 43 if opt == "-O0" else 29, (),
          unknown_ok=opt != "-O0", args=("edges",))


def test_scrub_value_inside_values_leaves_no_half(programs, make_daemon):
    """A scrub_value rule applies to each string inside a value before the
    200-character cut: an account number the cut would halve is replaced
    whole, not left in halves."""
    daemon = make_daemon("scrub_value = DE[0-9]{20} => [iban]")
    prog = programs.build("stl_values.cpp", ("-O0",))
    ev = crash(daemon, prog, "edges")
    edges = [f for f in ev["stacktrace"] if base_function(f["function"]) == "edges"][0]["vars"]
    # gdb's 200 elements of what the rule left: 190 dashes, "[iban] pai"
    assert edges["note"] == "'-' <repeats 190 times>, \"[iban] pai\"...", edges["note"]
    no_secrets(ev, ("DE89370400440532013000",))


def test_cpp_library_values_at_O2_never_differ(programs, daemon):
    """Optimized code: what both sides know is equal; what we cannot know
    is <optimized out>."""
    prog = programs.build("stl_values.cpp", ("-O2",))
    ev = crash(daemon, prog)
    check(ev, prog, "stl_values.cpp", "C++ -O2", 34, CPP_SECRETS, unknown_ok=True)


# ---- Rust ------------------------------------------------------------------------

def toolchains():
    """(rustc, rust-gdb) pairs: Debian's, and rustup's when it is there."""
    pairs = [("/usr/bin/rustc", "/usr/bin/rust-gdb")]
    home = os.path.expanduser("~/.cargo/bin")
    pairs.append((os.path.join(home, "rustc"), os.path.join(home, "rust-gdb")))
    return pairs


def rust_program(tmp_path, rustc, rust_gdb):
    if not (shutil.which(rustc) and shutil.which(rust_gdb)):
        pytest.skip(f"no {rustc} with {rust_gdb} here (.ci/deps.sh installs Debian's)")
    prog = str(tmp_path / "rust_values")
    subprocess.run([rustc, "-g", "-C", "opt-level=0", "-C", "debug-assertions=off", "-o", prog,
                    os.path.join(PROGRAMS, "rust_values.rs")], check=True, capture_output=True)
    return prog


@pytest.mark.parametrize("rustc,rust_gdb", toolchains(), ids=["debian", "rustup"])
def test_rust_edge_values_equal_rust_gdb(tmp_path, daemon, rustc, rust_gdb):
    prog = rust_program(tmp_path, rustc, rust_gdb)
    ev = crash(daemon, prog, "edges")
    check(ev, prog, "rust_values.rs", f"Rust ({rustc}) edges", 23, RUST_SECRETS, gdb=rust_gdb,
          args=("edges",))


@pytest.mark.parametrize("rustc,rust_gdb", toolchains(), ids=["debian", "rustup"])
def test_rust_btree_whose_memory_lies_is_bounded(tmp_path, daemon, rustc, rust_gdb):
    """A BTreeMap whose root says height 24 with every edge back to itself:
    the walk ends at gdb's 200 children (or the value's work), the report
    comes, and the value is cut as any other: the root's keys, again."""
    prog = rust_program(tmp_path, rustc, rust_gdb)
    ev = crash(daemon, prog, "hostile")
    top = [f for f in ev["stacktrace"] if f["function"] == "rust_values::hostile"][0]["vars"]
    # the root's own key, met again on every way down
    assert re.match(r"BTreeMap\(size=20\) = \{(\[\d+\] = \d+), \1, \1, ", top["cyclic"]), \
        top["cyclic"]
    assert top["cyclic"].endswith("..."), top["cyclic"]
    assert len(top["cyclic"]) <= VALUE_MAX


@pytest.mark.parametrize("rustc,rust_gdb", toolchains(), ids=["debian", "rustup"])
def test_rust_values_equal_rust_gdb(tmp_path, daemon, rustc, rust_gdb):
    prog = rust_program(tmp_path, rustc, rust_gdb)
    ev = crash(daemon, prog)
    check(ev, prog, "rust_values.rs", f"Rust ({rustc})", 34, RUST_SECRETS, gdb=rust_gdb)
    top = [f for f in ev["stacktrace"] if f["function"] == "rust_values::crash"][0]["vars"]
    assert top["login"] == 'rust_values::Login {user: "ops", secret: [filtered], port: 5432}'
    assert top["tree"] == 'BTreeMap(size=2) = {["api_token"] = [filtered], ["host"] = "db"}'
    assert top["vault"] == ('RefCell(borrow=1) = {value = rust_values::Login {user: "v", '
                            'secret: [filtered], port: 7}, borrow = 1}')
