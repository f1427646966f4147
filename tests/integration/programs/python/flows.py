"""Generators, coroutines, classes and closures around a fault
(test_python.py): flows.py gen|async|method|closure|ctypes|corrupt|assert|classbody."""
import asyncio
import ctypes
import sys

import crashext


def numbers(limit):
    for i in range(limit):
        if i == 3:
            crashext.kernel(i)
        yield i


def use_generator():
    return sum(numbers(10))


async def fetch(key):
    await asyncio.sleep(0)
    return crashext.kernel(key)


async def gather():
    return await fetch(7)


class Ledger:
    def __init__(self, owner):
        self.owner = owner

    def settle(self, amount):
        balance = amount - 1
        return crashext.kernel(balance)


def make_adder(base):
    offset = base * 10

    def add(x):
        return crashext.kernel(x + offset + base)
    return add


def peek():
    address = 0
    return ctypes.string_at(address)


def build_class(size):
    class Grid:
        rows = size
        cells = [crashext.kernel(r) for r in range(size) if r == 1]
    return Grid


def validate(count):
    return crashext.check(count)


def corrupt():
    victim = [1, 2, 3]
    # its items now live at 0x10: the interpreter itself faults on them
    ctypes.c_void_p.from_address(id(victim) + 3 * ctypes.sizeof(ctypes.c_void_p)).value = 16
    return victim[1]


mode = sys.argv[1]
if mode == "gen":
    use_generator()
elif mode == "async":
    asyncio.run(gather())
elif mode == "method":
    Ledger("ana").settle(12)
elif mode == "closure":
    make_adder(1)(0)
elif mode == "ctypes":
    peek()
elif mode == "corrupt":
    corrupt()
elif mode == "assert":
    validate(-1)
elif mode == "classbody":
    build_class(3)
