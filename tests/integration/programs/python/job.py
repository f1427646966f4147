"""The issue's example: a C extension calling back into Python that calls
the extension again, which faults (test_python.py)."""
import crashext


def score(x):
    weight = x * 2
    return crashext.kernel(x)


def handle(job):
    label = "job-%d" % job
    return crashext.np_reduce(score, job)


handle(41)
