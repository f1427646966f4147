"""Security review, item 4: a record's time is range-checked.  Nanoseconds
of 1e9 or more drop the record; a time more than a day away from the
daemon's clock is replaced by the daemon's own, and the event's tags say
so (timestamp_source = daemon, program_time = the record's seconds)."""
import calendar
import os
import struct
import time

import pytest

from conftest import wait_for
from test_intake import record, send, still_serving

DAY = 24 * 3600
ACK_OK = (0x4b434142, 0)


def epoch(timestamp):
    """The event's "YYYY-mm-ddTHH:MM:SS.uuuuuuZ" as seconds."""
    whole, frac = timestamp.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + int(frac) / 1e6


@pytest.mark.parametrize("offset", [-2 * DAY, -DAY - 60, DAY + 60, 400 * DAY])
def test_time_far_off_is_replaced_by_the_daemons(daemon, offset):
    sec = int(time.time()) + offset
    before = time.time()
    assert struct.unpack("<II", send(daemon.socket, record(message=b"skewed", time_sec=sec,
                                                           time_nsec=5))) == ACK_OK
    ev = daemon.wait_event(lambda e: e["message"] == "skewed")
    assert before - 1 <= epoch(ev["timestamp"]) <= time.time() + 1, ev["timestamp"]
    assert ev["tags"]["timestamp_source"] == "daemon"
    assert ev["tags"]["program_time"] == str(sec)


@pytest.mark.parametrize("sec", [0, 2 ** 63, 2 ** 64 - 1])
def test_impossible_times_are_replaced(daemon, sec):
    """A clock that never ran, and times gmtime cannot show (negative as a
    time_t, past any year): the daemon's time, a well-formed timestamp."""
    before = time.time()
    send(daemon.socket, record(message=b"impossible", time_sec=sec))
    ev = daemon.wait_event(lambda e: e["message"] == "impossible")
    assert before - 1 <= epoch(ev["timestamp"]) <= time.time() + 1, ev["timestamp"]
    assert ev["tags"]["timestamp_source"] == "daemon"
    assert ev["tags"]["program_time"] == str(sec)


def test_time_within_a_day_is_kept(daemon):
    sec = int(time.time()) - DAY + 120
    send(daemon.socket, record(message=b"late", time_sec=sec, time_nsec=123456789))
    ev = daemon.wait_event(lambda e: e["message"] == "late")
    assert ev["timestamp"] == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + ".123456Z"
    assert "timestamp_source" not in ev["tags"] and "program_time" not in ev["tags"]


@pytest.mark.parametrize("nsec", [10 ** 9, 2 ** 64 - 1])
def test_nanoseconds_out_of_range_drop_the_record(programs, daemon, nsec):
    ack = send(daemon.socket, record(message=b"bad nsec", time_nsec=nsec))
    assert not ack or struct.unpack("<II", ack)[1] != 0
    assert wait_for(lambda: f"dropped a record from pid {os.getpid()} " in daemon.log() and
                    "timestamp nanoseconds not below 1000000000" in daemon.log(), 5), daemon.log()
    still_serving(programs, daemon)
    assert [e for e in daemon.events() if e["message"] == "bad nsec"] == []
