"""Hand-written DWARF for the crafted-DWARF tests: a GNU assembler file
with one DWARF 4 compile unit (.debug_abbrev, .debug_info, .debug_aranges)
that describes a function of an object compiled without -g, with
variables whose types and location expressions say what a hostile user
can make them say (a type that is its own target, an expression that
divides INT64_MIN by -1...).  Only the few DWARF codes the tests need."""
import os
import re
import subprocess

TAG = {"compile_unit": 0x11, "subprogram": 0x2e, "variable": 0x34, "base_type": 0x24,
       "reference_type": 0x10, "pointer_type": 0x0f, "structure_type": 0x13, "member": 0x0d,
       "typedef": 0x16, "array_type": 0x01, "subrange_type": 0x21, "inheritance": 0x1c,
       "template_type_param": 0x2f}
AT = {"location": 0x02, "name": 0x03, "byte_size": 0x0b, "bit_size": 0x0d, "low_pc": 0x11,
      "high_pc": 0x12, "language": 0x13, "producer": 0x25, "upper_bound": 0x2f,
      "data_member_location": 0x38, "encoding": 0x3e, "external": 0x3f, "frame_base": 0x40,
      "type": 0x49, "data_bit_offset": 0x6b}
FORM = {"addr": 0x01, "data2": 0x05, "data4": 0x06, "data8": 0x07, "string": 0x08,
        "data1": 0x0b, "udata": 0x0f, "ref4": 0x13, "exprloc": 0x18, "flag_present": 0x19}
DIRECTIVE = {"data1": ".byte", "data2": ".value", "data4": ".long", "data8": ".quad",
             "addr": ".quad"}
DW_LANG_C99 = 0x0c
DW_ATE_signed, DW_ATE_unsigned = 0x05, 0x07


# ---- expressions -------------------------------------------------------------

def uleb(v):
    out = []
    while True:
        b, v = v & 0x7f, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return out


def sleb(v):
    out = []
    while True:
        b, v = v & 0x7f, v >> 7
        done = (v == 0 and not b & 0x40) or (v == -1 and b & 0x40)
        out.append(b | (0 if done else 0x80))
        if done:
            return out


def lit(n):
    return [0x30 + n]


def const8u(v):
    return [0x0e] + list((v & (2**64 - 1)).to_bytes(8, "little"))


def const1s(v):
    return [0x09, v & 0xff]


def breg(regno, offset=0):
    return [0x70 + regno] + sleb(offset)


def bra(displacement):
    return [0x28] + list((displacement & 0xffff).to_bytes(2, "little"))


DUP, DIV, STACK_VALUE, CALL_FRAME_CFA = [0x12], [0x1b], [0x9f], [0x9c]
RBX = 3


# ---- DIEs ---------------------------------------------------------------------

class Die:
    """A DIE: tag, attributes [(name, form, value)], children.  A ref4
    value is another Die, so types may refer to themselves."""
    count = 0

    def __init__(self, tag, *attrs, children=()):
        Die.count += 1
        self.label = f".Ldie{Die.count}"
        self.tag, self.attrs, self.children = tag, list(attrs), list(children)

    def add(self, *children):
        self.children.extend(children)
        return self


def named(tag, name, *attrs, children=()):
    return Die(tag, ("name", "string", name), *attrs, children=children)


def type_ref(die):
    return ("type", "ref4", die)


def variable(name, type_die, expr):
    return named("variable", name, type_ref(type_die), ("location", "exprloc", expr))


def _abbrev_key(die):
    return (die.tag, bool(die.children), tuple((a, f) for a, f, _ in die.attrs))


def _value_lines(form, value):
    if form == "string":
        return [f'\t.string "{value}"']
    if form in DIRECTIVE:
        return [f"\t{DIRECTIVE[form]} {value}"]
    if form == "udata":
        return [f"\t.uleb128 {value}"]
    if form == "ref4":
        return [f"\t.long {value.label} - .Lcu_begin"]
    if form == "exprloc":
        return [f"\t.uleb128 {len(value)}", "\t.byte " + ", ".join(str(b) for b in value)]
    if form == "flag_present":
        return []
    raise ValueError(form)


def assemble_cu(cu):
    """The .s text for compile unit `cu` (a Die tree)."""
    abbrevs, info = {}, []

    def emit(die):
        key = _abbrev_key(die)
        code = abbrevs.setdefault(key, len(abbrevs) + 1)
        info.append(f"{die.label}:\n\t.uleb128 {code}")
        for _, form, value in die.attrs:
            info.extend(_value_lines(form, value))
        for child in die.children:
            emit(child)
        if die.children:
            info.append("\t.byte 0")

    emit(cu)
    lines = ['\t.section .debug_abbrev,"",@progbits', ".Labbrev:"]
    for (tag, has_children, attrs), code in abbrevs.items():
        lines += [f"\t.uleb128 {code}", f"\t.uleb128 {TAG[tag]}", f"\t.byte {int(has_children)}"]
        for a, f in attrs:
            lines += [f"\t.uleb128 {AT[a]}", f"\t.uleb128 {FORM[f]}"]
        lines.append("\t.byte 0, 0")
    lines.append("\t.byte 0")
    lines += ['\t.section .debug_info,"",@progbits', ".Lcu_begin:",
              "\t.long .Lcu_end - .Lcu_begin - 4", "\t.value 4", "\t.long .Labbrev", "\t.byte 8"]
    lines += info
    lines.append(".Lcu_end:")
    return "\n".join(lines) + "\n"


def aranges(function, size):
    """.debug_aranges: libdwfl finds the unit for a pc through it."""
    return "\n".join([
        '\t.section .debug_aranges,"",@progbits',
        "\t.long .Laranges_end - .Laranges_begin",
        ".Laranges_begin:",
        "\t.value 2", "\t.long .Lcu_begin", "\t.byte 8", "\t.byte 0",
        "\t.long 0",                                   # pad the header to 16 bytes
        f"\t.quad {function}", f"\t.quad {size}", "\t.quad 0", "\t.quad 0",
        ".Laranges_end:"]) + "\n"


def function_unit(function, size, variables):
    """A C99 unit holding `function` (size bytes) with `variables` (Dies),
    frame base the CFA as gcc has it."""
    pc = [("low_pc", "addr", function), ("high_pc", "data8", size)]
    sub = named("subprogram", function, ("external", "flag_present", True), *pc,
                ("frame_base", "exprloc", CALL_FRAME_CFA), children=variables)
    return named("compile_unit", "crafted.c", ("producer", "string", "dwarf_craft.py"),
                 ("language", "data1", DW_LANG_C99), *pc, children=[sub])


# ---- building ----------------------------------------------------------------

def symbol_size(obj, name):
    out = subprocess.run(["nm", "-S", "--defined-only", obj], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"^[0-9a-f]+ ([0-9a-f]+) T " + re.escape(name) + "$", out, re.M)
    assert m, f"no {name} in {obj}:\n{out}"
    return int(m.group(1), 16)


def build(source, function, make_variables, out):
    """Compile source without -g, write a unit for `function` whose
    variables make_variables(types) returns (types: a dict of Dies the
    unit holds too), assemble it and link both into out."""
    obj = out + ".o"
    subprocess.run(["gcc", "-O0", "-c", "-o", obj, source], check=True)
    size = symbol_size(obj, function)
    types = base_types()
    cu = function_unit(function, size, make_variables(types))
    cu.add(*types.values())
    asm = out + ".s"
    with open(asm, "w") as f:
        f.write(assemble_cu(cu) + aranges(function, size) +
                '\t.section .note.GNU-stack,"",@progbits\n')     # no executable stack
    subprocess.run(["gcc", "-o", out, obj, asm], check=True)
    os.unlink(obj)
    return out


def base_types():
    return {"long": named("base_type", "long int", ("byte_size", "data1", 8),
                          ("encoding", "data1", DW_ATE_signed)),
            "ulong": named("base_type", "long unsigned int", ("byte_size", "data1", 8),
                           ("encoding", "data1", DW_ATE_unsigned))}
