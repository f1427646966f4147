"""A thread faults in a C extension while the main thread waits for it
and another sleeps in Python code (test_python.py)."""
import threading
import time

import crashext

ready = threading.Event()


def idle(seconds):
    nap = seconds
    while True:
        time.sleep(nap)


def worker(n):
    ready.wait()
    total = n + 1
    return crashext.kernel(total)


def main():
    sleeper = threading.Thread(target=idle, args=(30,), name="sleeper", daemon=True)
    sleeper.start()
    crasher = threading.Thread(target=worker, args=(40,), name="crasher")
    crasher.start()
    time.sleep(0.2)
    ready.set()
    crasher.join()


main()
