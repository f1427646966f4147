"""A Python program that faults in ctypes a few calls deep, with locals
of several kinds (tests/bench/hold.py BUILD N -- /usr/bin/python3.11
tests/bench/pycrash.py: the hold of a CPython crash)."""
import ctypes


class Order:
    def __init__(self, items):
        self.items = items

    def total(self, rate):
        prices = [item["price"] for item in self.items]
        subtotal = sum(prices)
        return checkout(subtotal * rate, prices)


def checkout(amount, prices):
    note = "paid %.2f for %d items" % (amount, len(prices))
    return ctypes.string_at(0)


def main():
    order = Order([{"sku": "A%d" % i, "price": 1.5 * i} for i in range(20)])
    return order.total(1.2)


main()
