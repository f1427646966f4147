#!/usr/bin/python3
"""pack-dwarf.py ELF OUT: the DWARF sections of ELF as a fuzz_render input
(for each: a byte naming the section, its length as 32-bit little-endian,
its bytes), in fuzz_render.c's order of section names."""
import struct
import sys

SECTIONS = [".debug_info", ".debug_abbrev", ".debug_str", ".debug_line", ".debug_line_str",
            ".debug_loclists", ".debug_rnglists", ".debug_addr", ".debug_str_offsets",
            ".debug_loc", ".debug_ranges"]


def sections(data):
    """{name: bytes} of a 64-bit little-endian ELF file."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    heads = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = heads[shstrndx]
    names = data[strtab[4]:strtab[4] + strtab[5]]
    out = {}
    for name_off, kind, flags, _, offset, size, *_ in heads:
        name = names[name_off:names.index(b"\0", name_off)].decode()
        if kind != 8 and not flags & 0x800:        # not NOBITS, not compressed
            out[name] = data[offset:offset + size]
    return out


def main():
    with open(sys.argv[1], "rb") as f:
        found = sections(f.read())
    with open(sys.argv[2], "wb") as f:
        for i, name in enumerate(SECTIONS):
            if name in found:
                f.write(struct.pack("<BI", i, len(found[name])) + found[name])


main()
