"""Deep recursion, then a fault (test_python.py): recursion.py DEPTH [c]
(c: each level calls the next through the C extension)."""
import sys

import crashext

THROUGH_C = len(sys.argv) > 2


def descend(depth):
    if depth == 0:
        return crashext.kernel(1)
    if THROUGH_C:
        return crashext.np_reduce(descend, depth - 1) + 1
    return descend(depth - 1) + 1


descend(int(sys.argv[1]))
