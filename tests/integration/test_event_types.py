"""Events typed exactly as the Python SDK types its events: every frame has
filename, function, lineno, context_line, pre_context, post_context, vars
and in_app, never missing and never null, whatever we do not know (booboo's
ingest answers 422 otherwise).  event_schema.json is the whole event's
shape; conftest.py and ingest_server.py hold every event of every test to
it.  These tests show what an unknown becomes, and that the check bites."""
import copy
import json
import os
import signal
import urllib.error
import urllib.request

import pytest

from conftest import SHIM, gdb_frames, run_shim
from event_check import check_event, schema_errors
from ingest_server import Ingest

NO_SOURCE = {"context_line": "", "pre_context": [], "post_context": [], "vars": {}}


def crash_null_call(programs, daemon):
    prog = programs.build("null_call.c")
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV, res
    return prog, daemon.event_for_pid(pid)


def test_frames_without_line_info_are_typed_like_the_sdks(programs, daemon):
    """pc 0 (no module, no name): gdb's "??" as function and filename, line
    0.  _start (the C runtime's start file, no line info): the module's path
    and line 0, and not in_app.  No source and no locals: empty, present."""
    prog, ev = crash_null_call(programs, daemon)
    frames = ev["stacktrace"]
    top, start = frames[-1], frames[0]
    assert {k: top[k] for k in ("function", "filename", "lineno", "in_app")} == \
        {"function": "??", "filename": "??", "lineno": 0, "in_app": False}, top
    assert "module" not in top and top["instruction_addr"] == "0x0", top
    assert {k: top[k] for k in NO_SOURCE} == NO_SOURCE, top
    assert gdb_frames(prog)[0][0]["function"] == "??"          # gdb's name for it too
    assert {k: start[k] for k in ("function", "filename", "lineno", "in_app", "module")} == \
        {"function": "_start", "filename": prog, "lineno": 0, "in_app": False, "module": prog}
    assert {k: start[k] for k in NO_SOURCE} == NO_SOURCE, start
    # the program's own frames are the crash's place in words, not _start
    assert [f["function"] for f in frames if f["in_app"]] == ["main", "dispatch"], frames
    assert ev["message"].endswith(" in dispatch"), ev["message"]
    # context.threads has the same where, typed the same
    brief = ev["context"]["threads"][0]["frames"]
    keys = ("function", "filename", "lineno", "in_app", "instruction_addr")
    assert brief == [{k: f[k] for k in keys} for f in frames]


def test_the_chain_keeps_the_sdks_types(programs, daemon):
    """exceptions[]: the first's chain_type is null, as the Python SDK sends
    None; its frames are the stacktrace's, typed the same."""
    _, ev = crash_null_call(programs, daemon)
    assert len(ev["exceptions"]) == 1
    exc = ev["exceptions"][0]
    assert exc["chain_type"] is None and exc["stacktrace"] == ev["stacktrace"]


# Each change a typing slip could make, and where the schema says it is.
DRIFTS = [
    ("a frame without filename", lambda e: e["stacktrace"][0].pop("filename"),
     "stacktrace[0]: 'filename' is a required property"),
    ("a null function", lambda e: e["stacktrace"][1].update(function=None),
     "stacktrace[1].function: None is not of type 'string'"),
    ("a null lineno", lambda e: e["exceptions"][0]["stacktrace"][0].update(lineno=None),
     "exceptions[0].stacktrace[0].lineno: None is not of type 'integer'"),
    ("a lineno as text", lambda e: e["stacktrace"][0].update(lineno="12"),
     "stacktrace[0].lineno: '12' is not of type 'integer'"),
    ("no vars", lambda e: e["stacktrace"][0].pop("vars"),
     "stacktrace[0]: 'vars' is a required property"),
    ("a key nobody declared", lambda e: e["stacktrace"][0].update(address="0x1"),
     "stacktrace[0]: Additional properties are not allowed ('address' was unexpected)"),
    ("a thread frame's null function",
     lambda e: e["context"]["threads"][0]["frames"][0].update(function=None),
     "context.threads[0].frames[0].function: None is not of type 'string'"),
    ("a cause without chain_type",
     lambda e: e["exceptions"].append(dict(e["exceptions"][0], chain_type=None)),
     "exceptions[1].chain_type: None is not one of ['cause', 'context']"),
    ("a tag that is not a string", lambda e: e["tags"].update(n=1),
     "tags.n: 1 is not of type 'string'"),
]


def test_the_schema_names_where_an_event_drifted(programs, daemon):
    _, ev = crash_null_call(programs, daemon)
    for what, drift, where in DRIFTS:
        bad = copy.deepcopy(ev)
        drift(bad)
        assert where in schema_errors(bad), (what, schema_errors(bad))
        with pytest.raises(AssertionError) as failed:
            check_event(bad, "this test")
        assert "does not match event_schema.json" in str(failed.value) and \
            where in str(failed.value), (what, str(failed.value))


def post(port, event):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=json.dumps(event).encode(),
                                 headers={"Content-Type": "application/json",
                                          "X-Booboo-DSN": "tok"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_the_test_ingest_answers_422_like_booboos(programs, daemon):
    """A missing or null field is answered 422 with the paths, and noted for
    the ingest fixture to fail the test; a well-typed event is taken."""
    _, ev = crash_null_call(programs, daemon)
    srv = Ingest().start()
    try:
        bad = copy.deepcopy(ev)
        bad["stacktrace"][0]["lineno"] = None
        status, body = post(srv.port, bad)
        assert status == 422 and \
            "stacktrace[0].lineno: None is not of type 'integer'" in body["detail"], body
        assert len(srv.invalid) == 1 and "stacktrace[0].lineno" in srv.invalid[0]
        assert post(srv.port, ev) == (200, {"ok": True})
        assert srv.accepted == [ev]
    finally:
        srv.stop()


def test_an_unnamed_error_and_its_causes_have_a_type(programs, daemon):
    """The API names an unnamed error "error"; an empty type is no name."""
    shim_dir = os.path.dirname(SHIM)
    prog = programs.build("unnamed_error.c", ("-O0",), libs=(SHIM, "-Wl,-rpath," + shim_dir))
    res, pid = run_shim(prog, sock=daemon.socket, env={"LD_PRELOAD": ""})
    assert res.returncode == 0 and res.stdout.strip() == "rc=0", res
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "error" and ev["message"] == "outer failed"
    assert [(e["type"], e["value"], e["chain_type"]) for e in ev["exceptions"]] == \
        [("error", "outer failed", None), ("error", "", "cause"), ("error", "", "cause")]
