"""Locals of every kind the Python stage renders, printed by the program
itself as repr() shows them, then a fault (test_python.py)."""
import json
import sys

import crashext


class Thing:
    pass


class Shelf(list):
    pass


def frame(arg):
    big_int = 12345678901234567890123456789
    neg = -42
    zero = 0
    ratio = 0.1
    huge = 1e22
    tiny = 1e-7
    whole = 3.0
    text = "it's \"quoted\"\n\tünïcödé € \u200b"
    quote = "don't"
    data = b"\x00ab'c\xff"
    single = (1,)
    nested = [1, [2, [3, [4, [5, [6, [7, [8]]]]]]]]
    mapping = {"k": None, 2: True, (1, 2): frozenset({1})}
    members = {1, 2, 3}
    empty = set()
    thing = Thing()
    shelf = Shelf([1, 2])
    long_text = "x" * 500
    loop = []
    loop.append(loop)
    password = "hunter2"
    shown = {k: repr(v) for k, v in locals().items()}
    sys.stdout.write(json.dumps(shown) + "\n")
    sys.stdout.flush()
    crashext.kernel(1)


frame(None)
