"""The SDK's options and API for native programs, with the real
daemon and ingest: environment/release/tags, the C API (linked and
preloaded), ignore_errors with C++ subclasses, before_send, value
scrubbing, and `booboo status`."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import (CLI, SHIM, base_function, events_of, linked, python_script, run_plain,
                      run_shim, wait_for)

IBAN_RULE = r"scrub_value = [A-Z]{2}[0-9]{2}[A-Z0-9]{10,30} => [iban]"


def test_environment_release_tags_overrides(programs, make_daemon):
    d = make_daemon("environment = production\nrelease = 1.0\ntags = region=eu,team=core")
    prog = programs.build("crash_null.c")
    _, pid = run_shim(prog, sock=d.socket)
    ev = d.event_for_pid(pid)
    assert (ev["environment"], ev["release"]) == ("production", "1.0")
    assert ev["tags"] == {"region": "eu", "team": "core", "runtime": "native"}
    _, pid = run_shim(prog, sock=d.socket, env={"BOOBOO_ENVIRONMENT": "canary",
                                                 "BOOBOO_RELEASE": "1.1-rc1",
                                                 "BOOBOO_TAGS": "team=pay,host=h1"})
    ev = d.event_for_pid(pid)
    assert (ev["environment"], ev["release"]) == ("canary", "1.1-rc1")
    assert ev["tags"] == {"region": "eu", "team": "pay", "host": "h1", "runtime": "native"}


def check_api_events(d, pid, out):
    assert "still running" in out and "accepted" not in out
    evs = wait_for(lambda: len(events_of(d, pid)) >= 3 and events_of(d, pid), 15)
    msgs = sorted((e["message"], e["level"]) for e in evs if e["exception_type"] == "")
    assert msgs == [("disk at 91%", "warning"), ("worker started", "info")]
    err = [e for e in evs if e["exception_type"] == "PaymentDeclined"][0]
    assert err["level"] == "error" and err["message"] == "card declined for DE89370400440532013000"
    assert err["context"]["user"] == {"id": "42", "email": "alice@example.com",
                                      "username": "alice", "ip_address": "192.0.2.7"}
    assert err["tags"] == {"shard": "eu-1", "runtime": "native"}
    assert err["request"] == {"method": "POST", "url": "/checkout?iban=DE89370400440532013000"}
    app = [f for f in err["stacktrace"] if f["in_app"] and f["lineno"]]
    assert [base_function(f["function"]) for f in app][-2:] == ["main", "handle_checkout"]
    assert not any("booboo_capture_error" in (f["function"] or "") for f in err["stacktrace"])
    assert app[-1]["vars"]["iban"].endswith('"DE89370400440532013000"')


def test_api_linked(programs, daemon):
    prog = linked(programs, "api_demo.c")
    res, pid = run_shim(prog, sock=daemon.socket, env={"LD_PRELOAD": ""})
    assert res.returncode == 0, res.stderr
    check_api_events(daemon, pid, res.stdout)


def test_api_preloaded(programs, daemon, tmp_path):
    """The same calls through weak symbols, resolved by the preloaded shim."""
    src = tmp_path / "weak.c"
    src.write_text(open(os.path.join(os.path.dirname(__file__), "programs", "api_demo.c")).read()
                   .replace('#include "booboo.h"', '#include "booboo.h"\n'
                            '#pragma weak booboo_set_user\n#pragma weak booboo_set_tag\n'
                            '#pragma weak booboo_capture_message\n#pragma weak booboo_capture_error\n'
                            '#pragma weak booboo_set_request\n#pragma weak booboo_clear_request\n'))
    prog = tmp_path / "weak"
    subprocess.run(["gcc", "-g", "-O0", "-I", os.path.join(os.path.dirname(SHIM), "..", "..", "shim"),
                    "-I", os.path.join(os.path.dirname(__file__), "..", "..", "shim"),
                    "-o", str(prog), str(src)], check=True)
    res, pid = run_shim(str(prog), sock=daemon.socket)
    assert res.returncode == 0, res.stderr
    check_api_events(daemon, pid, res.stdout)


def test_api_state_on_a_later_crash(programs, daemon):
    prog = linked(programs, "api_demo.c")
    res, pid = run_shim(prog, "crash", sock=daemon.socket, env={"LD_PRELOAD": ""})
    assert res.returncode == -signal.SIGSEGV
    ev = daemon.wait_event(lambda e: e["context"]["process"]["pid"] == pid and
                           e["exception_type"] == "SIGSEGV")
    assert ev["context"]["user"]["id"] == "42"
    assert ev["tags"]["shard"] == "eu-1"
    assert ev["request"]["method"] == "POST"      # the crash happened while serving it


def test_api_without_daemon_is_harmless_and_quick(programs, tmp_path):
    prog = linked(programs, "api_demo.c")
    t = time.monotonic()
    res, _ = run_shim(prog, sock=str(tmp_path / "none.sock"), env={"LD_PRELOAD": ""})
    assert time.monotonic() - t < 2
    assert res.returncode == 0
    assert res.stdout.count("no daemon") == 3 and "still running" in res.stdout


def test_cpp_capture_current_exception(programs, daemon):
    prog = linked(programs, "api_cpp.cpp")
    res, pid = run_shim(prog, "caught", sock=daemon.socket, env={"LD_PRELOAD": ""})
    assert "capture rc=0" in res.stdout and "still running" in res.stdout
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "shop::Timeout"
    assert ev["message"] == "gateway timed out for NL91ABNA0417164300"
    assert "main" in [base_function(f["function"]) for f in ev["stacktrace"]]


def test_ignore_errors_matches_subclasses(programs, make_daemon):
    d = make_daemon("ignore_errors = SIGFPE, std::logic_error")
    prog = linked(programs, "api_cpp.cpp")
    res, pid_invalid = run_shim(prog, "invalid", sock=d.socket, env={"LD_PRELOAD": ""})
    assert res.returncode == -signal.SIGABRT
    res, pid_timeout = run_shim(prog, "timeout", sock=d.socket, env={"LD_PRELOAD": ""})
    ev = d.event_for_pid(pid_timeout)                 # not a logic_error: reported
    assert ev["exception_type"] == "shop::Timeout"
    assert "std::runtime_error" in ev["context"]["exception"]["bases"]
    res, pid_fpe = run_shim(programs.build("divzero.c"), sock=d.socket)
    assert res.returncode == -signal.SIGFPE
    assert wait_for(lambda: d.log().count("ignored (ignore_errors") == 2, 10), d.log()
    assert "std::logic_error" in d.log() and "SIGFPE" in d.log()
    assert not events_of(d, pid_invalid) and not events_of(d, pid_fpe)
    assert wait_for(lambda: json.load(open(os.path.join(d.spool, "status.json")))["ignored"] == 2, 10)
    out = subprocess.run([CLI, "-c", d.config, "status"], capture_output=True, text=True).stdout
    assert "ignored       2" in out


@pytest.mark.parametrize("kind,body,reason", [
    ("drop", "import sys\nsys.stdin.read()\n", None),
    ("crash", "import os, sys\nsys.stdin.read()\nos.kill(os.getpid(), 11)\n", "killed by signal 11"),
    ("fail", "import sys\nsys.stdin.read()\nprint('oops', file=sys.stderr)\nsys.exit(3)\n", "exit status 3: oops"),
    ("hang", "import sys, time\nsys.stdin.read()\ntime.sleep(60)\n", "timed out"),
    ("garbage", "import sys\nsys.stdin.read()\nprint('this is not json')\n", "not a JSON object"),
    ("array", "import sys\nsys.stdin.read()\nprint('[1, 2]')\n", "not a JSON object"),
])
def test_before_send_that_drops_or_fails(programs, make_daemon, ingest, open_tmp, kind, body, reason):
    prog = python_script(open_tmp, kind, body)
    d = make_daemon(f"before_send = {prog}\nbefore_send_timeout_ms = 800",
                    dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p")
    t = time.monotonic()
    res, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
    assert res.returncode == -signal.SIGSEGV
    assert time.monotonic() - t < 3                 # the crashing app never waits for it
    if reason:
        assert wait_for(lambda: reason in d.log(), 10), d.log()
        assert "not sent unmodified" in d.log()
    else:
        assert wait_for(lambda: "dropped by before_send" in d.log(), 10), d.log()
    time.sleep(0.5)
    assert ingest.events == [] and d.events() == []   # nothing sent, nothing kept
    st = json.load(open(os.path.join(d.spool, "status.json")))
    assert st["dropped_by_before_send" if not reason else "before_send_failures"] == 1
    assert d.alive()


def test_before_send_that_edits(programs, make_daemon, ingest, open_tmp):
    prog = python_script(open_tmp, "edit", (
        "import json, os, sys\n"
        "ev = json.load(sys.stdin)\n"
        "ev['tags']['edited'] = 'yes'\n"
        "ev['tags']['uid'] = str(os.getuid())\n"
        "ev['message'] = ev['message'].upper()\n"
        "json.dump(ev, sys.stdout)\n"))
    d = make_daemon(f"before_send = {prog}", dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p")
    _, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
    assert wait_for(lambda: ingest.events, 15), d.log()
    ev = ingest.events[0]
    assert ev["tags"]["edited"] == "yes"
    assert ev["tags"]["uid"] == str(__import__("pwd").getpwnam("nobody").pw_uid)  # never root
    assert ev["message"].startswith("SIGSEGV: INVALID READ")
    subprocess.run([CLI, "-c", d.config, "message", "hello"], check=True, capture_output=True)
    assert wait_for(lambda: any(e["message"] == "HELLO" for e in ingest.events), 15), \
        (d.log(), ingest.requests)


def test_value_scrubbing_everywhere(programs, make_daemon):
    d = make_daemon(IBAN_RULE + "\nscrub_names = reference")
    prog = linked(programs, "api_demo.c")
    res, pid = run_shim(prog, sock=d.socket, env={"LD_PRELOAD": ""})
    err = d.wait_event(lambda e: e["context"]["process"]["pid"] == pid and
                       e["exception_type"] == "PaymentDeclined")
    raw = json.dumps(err)
    assert "DE89370400440532013000" not in raw
    assert err["message"] == "card declined for [iban]"
    assert err["exceptions"][0]["value"] == "card declined for [iban]"
    assert err["request"]["url"] == "/checkout?iban=[iban]"
    app = [f for f in err["stacktrace"] if base_function(f["function"]) == "handle_checkout"][0]
    assert app["vars"]["iban"].endswith('"[iban]"')          # a local's value, by rule
    assert app["vars"]["reference"] == "[filtered]"           # a name from scrub_names
    exc = [f for f in err["exceptions"][0]["stacktrace"]
           if base_function(f["function"]) == "handle_checkout"][0]
    assert exc["vars"]["iban"].endswith('"[iban]"')          # and in the exception's frames
    # an uncaught exception's what(): message, exception value and context
    cpp = linked(programs, "api_cpp.cpp")
    _, pid = run_shim(cpp, "timeout", sock=d.socket, env={"LD_PRELOAD": ""})
    ev = d.event_for_pid(pid)
    assert "NL91ABNA0417164300" not in json.dumps(ev)
    assert ev["message"] == "gateway timed out for [iban]"


def test_argv_after_sensitive_flags_is_filtered(programs, daemon, tmp_path):
    prog = programs.build("divzero.c")
    res, pid = run_shim(prog, "--password=hunter2", "--token", "abc", "--user", "bob",
                        sock=daemon.socket)
    ev = daemon.event_for_pid(pid)
    argv = ev["context"]["process"]["argv"]
    assert argv[1:] == ["--password=[filtered]", "--token", "[filtered]", "--user", "bob"]
    assert "hunter2" not in json.dumps(ev)
    assert "environ" not in json.dumps(ev["context"]["process"])


NESTED_CHAIN = [
    ("std::logic_error", "checkout aborted", None),
    ("shop::PaymentError", "payment failed for DE89370400440532013000", "cause"),
    ("std::invalid_argument", "account DE89370400440532013000 is closed", "cause"),
]


def assert_order_in(ev, *names):
    fns = [base_function(f["function"]) for f in ev["stacktrace"]]
    assert all(n in fns for n in names), (names, fns)
    assert [fns.index(n) for n in names] == sorted(fns.index(n) for n in names), fns


def chain_of(ev):
    return [(e["type"], e["value"], e["chain_type"]) for e in ev["exceptions"]]


@pytest.mark.parametrize("how", ["uncaught", "caught"])
def test_nested_exceptions_are_chained(programs, daemon, how):
    """std::throw_with_nested: the reported exception first, then what it
    was thrown from, as "cause" -- read from the dying process's memory
    when uncaught, from the catch block when captured."""
    prog = linked(programs, "api_cpp.cpp")
    arg = "nested" if how == "uncaught" else "caught-nested"
    res, pid = run_shim(prog, arg, sock=daemon.socket, env={"LD_PRELOAD": ""})
    if how == "uncaught":
        assert res.returncode == run_plain(prog, arg).returncode == -signal.SIGABRT
    else:
        assert "capture rc=0" in res.stdout and "still running" in res.stdout
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "std::logic_error"        # not std::_Nested_exception<...>
    assert ev["message"] == "checkout aborted"
    assert chain_of(ev) == NESTED_CHAIN
    assert ev["exceptions"][0]["stacktrace"] == ev["stacktrace"]
    # uncaught: the stack at the throw; caught: where the capture was made
    site = "checkout" if how == "uncaught" else "booboo_capture_current_exception"
    assert_order_in(ev, "main", site)
    for cause in ev["exceptions"][1:]:
        assert cause["stacktrace"] == []                     # unwound long ago: not made up
    report = subprocess.run([CLI, "-c", daemon.config, "show", "--last"],
                            capture_output=True, text=True).stdout
    assert "caused by    shop::PaymentError: payment failed for DE89" in report


def test_iban_scrubbed_in_chained_exceptions(programs, make_daemon):
    d = make_daemon(IBAN_RULE)
    prog = linked(programs, "api_cpp.cpp")
    for arg in ("nested", "caught-nested"):
        _, pid = run_shim(prog, arg, sock=d.socket, env={"LD_PRELOAD": ""})
        ev = d.event_for_pid(pid)
        assert chain_of(ev)[1:] == [
            ("shop::PaymentError", "payment failed for [iban]", "cause"),
            ("std::invalid_argument", "account [iban] is closed", "cause")]
        assert "DE89370400440532013000" not in json.dumps(ev)


def test_ignore_errors_matches_subclasses_of_captured_exceptions(programs, make_daemon):
    """ignore_errors = std::logic_error also ignores a caught
    std::invalid_argument handed to booboo_capture_current_exception."""
    d = make_daemon("ignore_errors = std::logic_error")
    prog = linked(programs, "api_cpp.cpp")
    res, pid_invalid = run_shim(prog, "caught-invalid", sock=d.socket, env={"LD_PRELOAD": ""})
    assert "capture rc=0" in res.stdout and "still running" in res.stdout
    res, pid_timeout = run_shim(prog, "caught", sock=d.socket, env={"LD_PRELOAD": ""})
    ev = d.event_for_pid(pid_timeout)                 # a runtime_error: reported
    assert ev["exception_type"] == "shop::Timeout"
    assert "std::runtime_error" in ev["context"]["exception"]["bases"]
    assert wait_for(lambda: "ignored (ignore_errors" in d.log(), 10), d.log()
    assert not events_of(d, pid_invalid)
