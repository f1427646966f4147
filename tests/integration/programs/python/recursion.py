"""Deep recursion, then a fault (test_python.py): recursion.py DEPTH."""
import sys

import crashext


def descend(depth):
    if depth == 0:
        return crashext.kernel(1)
    return descend(depth - 1) + 1


descend(int(sys.argv[1]))
