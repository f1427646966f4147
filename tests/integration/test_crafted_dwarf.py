"""Crafted DWARF: the daemon runs as root and reads the debug info of any
local user's program, so each test crashes a program whose only debug
info is a compile unit written by hand (dwarf_craft.py) with one hostile
variable: an expression that traps the CPU, a type that is its own
target, a struct that holds itself, an array of 2^64 elements...  The
daemon must stay up, report that crash within seconds with the variable
rendered in a bounded, gdb-like way (<error: ...> where gdb would give an
error), and then report a normal crash."""
import os
import re
import signal
import subprocess
import time

import pytest

import dwarf_craft as dc
from conftest import PROGRAMS, run_shim

SOURCE = os.path.join(PROGRAMS, "crafted_dwarf.c")
FUNCTION = "crafted_crash"
AREA_SIZE = 8192
AREA = bytes(range(1, 65)) + bytes(AREA_SIZE - 64)  # what rbx points to at the fault...
SELF = AREA_SIZE - 8                                # ...but for its own address here
REPORT_SECONDS = 10                                  # generous for the ASan build


def word(i):
    return int.from_bytes(AREA[8 * i:8 * i + 8], "little")


def in_area(name, type_die, offset=0):
    return dc.variable(name, type_die, dc.breg(dc.RBX, offset))


def struct_of_itself(name, members=20):
    s = dc.named("structure_type", name, ("byte_size", "data1", 8))
    s.add(*[dc.named("member", f"m{i}", dc.type_ref(s), ("data_member_location", "data1", 0))
            for i in range(members)])
    return s


# Each attack: the variable and its type DIEs (put in `types`), and a
# check of the text the event shows for it.

def div_trap(types):
    expr = dc.const8u(-2**63) + dc.const1s(-1) + dc.DIV + dc.STACK_VALUE
    return dc.variable("div_trap", types["long"], expr)


def div_zero(types):
    return dc.variable("div_zero", types["long"], dc.lit(5) + dc.lit(0) + dc.DIV + dc.STACK_VALUE)


def spin(types):
    # lit1; dup; bra -4: back to the dup for ever
    return dc.variable("spin", types["long"], dc.lit(1) + dc.DUP + dc.bra(-4) + dc.STACK_VALUE)


def self_reference(types):
    # named like a pretty-printed type, so that no "@0x...: " fills the
    # text at each level and only the recursion itself can end
    r = dc.named("reference_type", "vector<crafted>", ("byte_size", "data1", 8))
    r.attrs.append(dc.type_ref(r))
    types["self_ref"] = r
    return in_area("self_ref", r, SELF)     # readable, and pointing to itself


def self_pointer(types):
    p = dc.Die("pointer_type", ("byte_size", "data1", 8))
    p.attrs.append(dc.type_ref(p))
    types["self_ptr"] = p
    return in_area("self_ptr", p)


def self_vector(types):
    # named like std::vector so that its members are searched for
    # _M_start, through its 20 members and a base that are itself
    s = struct_of_itself("vector<crafted>")
    s.children.insert(0, dc.Die("inheritance", dc.type_ref(s), ("data_member_location", "data1", 0)))
    s.add(dc.named("template_type_param", "T", dc.type_ref(types["long"])))
    types["vector"] = s
    return in_area("selfish", s)


def self_string(types):
    types["string"] = s = struct_of_itself("basic_string<char, crafted>")
    return in_area("self_str", s)


def wide_bitfield(types):
    # 63 bits from bit 7: 9 bytes, which were read into an 8-byte word
    s = dc.named("structure_type", "packed", ("byte_size", "data1", 9), children=[
        dc.named("member", "wide", dc.type_ref(types["ulong"]), ("bit_size", "data1", 63),
                 ("data_bit_offset", "data1", 7))])
    types["packed"] = s
    return in_area("packed_bits", s)


def typedef_cycle(types):
    a = dc.named("typedef", "ping")
    b = dc.named("typedef", "pong", dc.type_ref(a))
    a.attrs.append(dc.type_ref(b))
    types["ping"], types["pong"] = a, b
    return in_area("loop_type", a)


def array_of(elem, upper_bound):
    return dc.Die("array_type", dc.type_ref(elem), children=[
        dc.Die("subrange_type", ("upper_bound", "data8", upper_bound))])


def huge_array(types):
    types["huge"] = a = array_of(types["long"], 2**64 - 2)     # 2^64 - 1 elements
    return in_area("huge", a)


def cube_type(types):
    # 2^61 + 1 elements of 8 bytes make 8 bytes (mod 2^64): three levels
    # of arrays over the same zeros, 200 x 200 x 200 equal elements
    a1 = array_of(types["long"], 2**61)
    a2 = array_of(a1, 2**61)
    a3 = array_of(a2, 2**61)
    types.update(a1=a1, a2=a2, a3=a3)
    return a3


def cube(types):
    return in_area("cube", cube_type(types), 64)


CUBES = 12


def many_cubes(types):
    a3 = cube_type(types)
    return [in_area(f"cube{i}", a3, 64) for i in range(CUBES)]


def self_array(types):
    a = dc.Die("array_type", children=[dc.Die("subrange_type", ("upper_bound", "data1", 9))])
    a.attrs.append(dc.type_ref(a))
    types["self_array"] = a
    return in_area("self_array", a)


def bounded(text):
    return len(text) <= 203 and text.endswith("...")


HUGE = "{" + ", ".join(str(word(i)) for i in range(8)) + ", 0 <repeats 192 times>...}"
WIDE = (int.from_bytes(AREA[:9], "little") >> 7) & (2**63 - 1)

ATTACKS = {
    # gdb's own words for a division by zero in an expression
    div_trap: ("div_trap", lambda v: v == "<error: Division overflow>"),
    div_zero: ("div_zero", lambda v: v == "<error: Division by zero>"),
    # gdb has no step limit and would loop: an error of our own
    spin: ("spin", lambda v: v == "<error: DWARF expression runs too long>"),
    # where the reference points, as gdb shows it, and no more (a
    # reference is no pretty-printed class, whatever its name)
    self_reference: ("self_ref", lambda v: re.fullmatch(
        r"@0x[0-9a-f]+: <error: reference to a reference>", v) is not None),
    self_pointer: ("self_ptr", lambda v: v == f"{word(0):#x}"),
    # gdb prints members to its max-depth (20), {...} below it; cut at
    # 200 characters long before that
    self_vector: ("selfish", lambda v: bounded(v) and v.startswith(
        "{<vector<crafted>> = {<vector<crafted>> = {<vector<crafted>> = {")),
    self_string: ("self_str", lambda v: bounded(v) and v.startswith("{m0 = {m0 = {m0 = {m0 = {")),
    # what gdb prints: the field's value
    wide_bitfield: ("packed_bits", lambda v: v == f"{{wide = {WIDE}}}"),
    typedef_cycle: ("loop_type", lambda v: v == "<unknown type>"),
    # gdb's 200 elements, with its repeats
    huge_array: ("huge", lambda v: v == HUGE),
    # gdb would print {{{0 <repeats 200 times>} <repeats 200 times>}...}; the
    # work budget cuts it where it runs out
    cube: ("cube", lambda v: bounded(v) and v.startswith("{{{0 <repeats 200 times>...}")),
    self_array: ("self_array", lambda v: v == "{}"),
}


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    out = tmp_path_factory.mktemp("crafted")
    cache = {}

    def build(attack):
        if attack not in cache:
            def variables(types):
                made = attack(types)
                return made if isinstance(made, list) else [made]
            cache[attack] = dc.build(SOURCE, FUNCTION, variables, str(out / attack.__name__))
        return cache[attack]
    return build


def crash_frame(ev):
    frames = [f for f in ev["stacktrace"] if f.get("function") == FUNCTION]
    assert frames, ev["stacktrace"]
    return frames[-1]


@pytest.mark.parametrize("attack", list(ATTACKS), ids=lambda a: a.__name__)
def test_crafted_dwarf_gives_a_bounded_report_and_the_daemon_serves_on(attack, crafted, daemon,
                                                                          programs):
    name, check = ATTACKS[attack]
    prog = crafted(attack)
    started = time.monotonic()
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV, res.stderr
    ev = daemon.event_for_pid(pid, timeout=REPORT_SECONDS)
    assert time.monotonic() - started < REPORT_SECONDS
    assert daemon.alive()
    frame = crash_frame(ev)
    assert name in frame.get("vars", {}), frame
    assert check(frame["vars"][name]), frame["vars"][name]
    # and a sound crash right after is reported in full
    _, pid2 = run_shim(programs.build("crash_null.c"), sock=daemon.socket)
    assert daemon.event_for_pid(pid2)["stacktrace"][-1]["function"] == "credit"
    assert daemon.alive()


def test_a_frame_of_costly_variables_is_bounded_as_a_whole(crafted, daemon):
    """Each cube takes its value's whole budget; the frame's runs out
    after four: the rest show "...", and the report still comes at once."""
    started = time.monotonic()
    res, pid = run_shim(crafted(many_cubes), sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV, res.stderr
    ev = daemon.event_for_pid(pid, timeout=REPORT_SECONDS)
    assert time.monotonic() - started < REPORT_SECONDS
    values = crash_frame(ev)["vars"]
    cubes = [values[f"cube{i}"] for i in range(CUBES)]
    assert all(bounded(v) for v in cubes), cubes
    assert cubes[0].startswith("{{{0 <repeats 200 times>...}"), cubes[0]
    assert cubes[-1] == "...", cubes
    assert daemon.alive()


def test_the_crafted_unit_parses_as_written(crafted):
    """The generator's DWARF is what the tests mean: readelf reads the
    unit, its function and a self-referring type without complaint."""
    prog = crafted(self_reference)
    out = subprocess.run(["readelf", "--debug-dump=info", prog], capture_output=True,
                         text=True)
    assert out.returncode == 0 and "Warning" not in out.stderr, out.stderr
    assert "DW_TAG_subprogram" in out.stdout and FUNCTION in out.stdout
    assert "DW_TAG_reference_type" in out.stdout
    assert re.search(r"DW_OP_breg3 \(rbx\): \d+", out.stdout)
