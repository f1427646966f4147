"""Security review, item 1: event text never drives the reader's terminal.

Every string of an event comes from the crashing program (its messages,
names, user, request, thread and program names), its debug info (file
names) or its source files, and a server's words come back in rejection
reasons and upload errors.  `booboo list`, `show` and `status` show the
control characters in them (C0 with TAB and newline, DEL, C1) as escape
text; `show --json` as JSON escapes, so it is still the same JSON."""
import json
import os
import re
import subprocess

import pytest

from conftest import CLI, ROOT, SHIM, run_shim, sanitizer_reports, wait_for

# retitles the window (OSC ... BEL), clears the screen (CSI 2 J), a C1 CSI
# asking the terminal to answer (a DSR), and a DEL
EVIL = "\x1b]0;pwned\x07\x1b[2J\u009b6n\x7f"
EVIL_SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\u009b6n\\x7f"
# what must never reach the terminal raw: C0 but newline, DEL, C1 (as UTF-8)
RAW_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def escaped(text):
    """What booboo shows for text (utf8_escape, UTF8_ESC_LINE)."""
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 0x20 or ord(c) == 0x7f else
                   f"\\u{ord(c):04x}" if 0x80 <= ord(c) <= 0x9f else c for c in text)


def cli(conf, *args, env=None):
    """booboo's raw bytes: the test is about exactly what reaches a terminal."""
    e = dict(os.environ)
    e.pop("BOOBOO_SOCKET", None)
    e.update(env or {})
    p = subprocess.run([CLI, "--config", conf, *args], capture_output=True, timeout=60, env=e)
    assert not sanitizer_reports(p.stderr.decode(errors="replace")), p.stderr
    assert not RAW_CONTROL.findall(p.stderr), p.stderr
    return p


def shown(conf, *args, env=None):
    """stdout of a booboo command that must succeed, with no raw control."""
    p = cli(conf, *args, env=env)
    assert p.returncode == 0, p.stderr
    assert not RAW_CONTROL.findall(p.stdout), (RAW_CONTROL.findall(p.stdout), p.stdout)
    return p.stdout.decode()


PROGRAM = r"""
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "booboo.h"

static void *idle(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

__attribute__((noinline)) static int boom(const char *note)
{
	volatile int *p = NULL;
	return *p + (int)strlen(note);	/* @EVIL@ */
}

int main(void)
{
	const char *evil = getenv("EVIL");
	pthread_t t;

	booboo_set_user(evil, "x@example.com", evil, "192.0.2.7");
	booboo_set_request("GET", evil);
	pthread_create(&t, NULL, idle, NULL);
	pthread_setname_np(t, getenv("EVIL_THREAD"));
	return boom(evil);
}
"""


def evil_program(tmp_path):
    """A program whose source file, directory, executable, other thread,
    user and request all carry control characters, and whose crash line has them in
    a comment (after a TAB)."""
    src_dir = tmp_path / f"src{EVIL}"
    src_dir.mkdir()
    src = src_dir / "boom\x1b[2J.c"
    src.write_text(PROGRAM.replace("@EVIL@", EVIL))
    exe = str(tmp_path / "prog\x1b[2J")
    p = subprocess.run(["gcc", "-g", "-O0", "-o", exe, str(src), "-I" + os.path.join(ROOT, "shim"),
                        SHIM, "-Wl,-rpath," + os.path.dirname(SHIM), "-lpthread"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return exe


def test_crash_report_text_is_escaped(daemon, tmp_path):
    prog = evil_program(tmp_path)
    _, pid = run_shim(prog, sock=daemon.socket,
                      env={"LD_PRELOAD": "", "EVIL": EVIL, "EVIL_THREAD": "t\x1b[2J"})
    ev = daemon.event_for_pid(pid)
    top = [f for f in ev["stacktrace"] if f.get("function") == "boom"][-1]
    # the attack is in the event, raw, in every one of these fields
    assert EVIL in top["context_line"] and EVIL in top["filename"]
    assert ev["context"]["user"]["id"] == EVIL and ev["request"]["url"] == EVIL
    assert ev["context"]["process"]["name"] == "prog\x1b[2J"
    assert "t\x1b[2J" in [t["name"] for t in ev["context"]["threads"]]

    out = shown(daemon.config, "show", "--last")
    frame = next(l for l in out.splitlines() if " boom at " in l)
    assert frame.endswith(f"/src{EVIL_SHOWN}/boom\\x1b[2J.c:{top['lineno']}"), frame
    # the source line keeps its indentation (the TAB as spaces) and shows
    # the escape sequence as text
    line = next(l for l in out.splitlines() if l.startswith("    > "))
    assert line.endswith(f"| {' ' * 8}return *p + (int)strlen(note);  /* {EVIL_SHOWN} */"), line
    assert f"  program      prog\\x1b[2J (pid {pid})" in out
    assert re.search(r"^    \d+ +t\\x1b\[2J +", out, re.M), out      # Threads (2):
    assert f"  request      GET {EVIL_SHOWN}\n" in out
    assert f"  user         id={EVIL_SHOWN} email=x@example.com username={EVIL_SHOWN}" in out

    row = shown(daemon.config, "list").splitlines()[1]
    assert "prog\\x1b[2J" in row and "SIGSEGV" in row

    raw = shown(daemon.config, "show", "--last", "--json")
    assert json.loads(raw) == ev                       # the same JSON, escaped
    assert "\\u001b]0;pwned\\u0007" in raw and "\\u009b6n\\u007f" in raw


def test_message_text_is_escaped(daemon):
    env = {"BOOBOO_ENVIRONMENT": f"prod{EVIL}", "BOOBOO_RELEASE": f"1.0{EVIL}"}
    p = cli(daemon.config, "message", f"deploy{EVIL}\nline two\tend", env=env)
    assert p.returncode == 0, p.stderr
    ev = daemon.wait_event(lambda e: e["message"].startswith("deploy"))
    assert ev["message"] == f"deploy{EVIL}\nline two\tend"

    out = shown(daemon.config, "show", "--last")
    # one line, newline and TAB of a one-line field shown as escapes too
    assert out.splitlines()[0] == f"deploy{EVIL_SHOWN}\\x0aline two\\x09end"
    assert f"  environment  prod{EVIL_SHOWN}\n" in out
    assert f"  release      1.0{EVIL_SHOWN}\n" in out

    rows = shown(daemon.config, "list").splitlines()
    assert len(rows) == 2
    # the message column: escaped, then cut at 60 characters
    assert f"deploy{EVIL_SHOWN}\\x0aline two\\x09end"[:60] in rows[1]


def evil_strings(v):
    """v with the attack appended to every string in it."""
    if isinstance(v, str):
        return v + EVIL
    if isinstance(v, list):
        return [evil_strings(x) for x in v]
    if isinstance(v, dict):
        return {k: evil_strings(x) for k, x in v.items()}
    return v


@pytest.mark.forges_events
def test_every_field_of_a_forged_event_is_escaped(programs, daemon):
    """Whatever field the CLI prints, now or later: the whole event is
    escaped, not a list of fields.  A real event with the attack in every
    string, and in the variables' names (keys the report prints)."""
    prog = programs.build("locals.c")
    _, pid = run_shim(prog, sock=daemon.socket)
    forged = evil_strings(daemon.event_for_pid(pid))
    for f in forged["stacktrace"]:
        f["vars"] = {k + EVIL: v for k, v in f.get("vars", {}).items()}
    fid = "20990101-000000-000000-0000abcd"
    with open(os.path.join(daemon.spool, "pending", fid + ".json"), "w") as f:
        json.dump(forged, f)

    out = shown(daemon.config, "show", fid)
    assert out.splitlines()[0].endswith(EVIL_SHOWN)
    assert f"  level        error{EVIL_SHOWN}\n" in out
    frames = [l for l in out.splitlines() if re.match(r"^[> ] #\d", l)]
    assert frames and all(EVIL_SHOWN in l for l in frames), frames
    source = [l for l in out.splitlines() if re.match(r"^ {4}(?:  |> ) *\d+ \| ", l)]
    assert source and all(l.endswith(EVIL_SHOWN) for l in source), source
    variables = [l for l in out.splitlines() if re.match(r"^ {8}(?! )(?!\d+ \| ).* = ", l)]
    assert variables and all(l.count(EVIL_SHOWN) == 2 for l in variables), variables

    rows = shown(daemon.config, "list").splitlines()
    assert any(fid in r and EVIL_SHOWN[:10] in r for r in rows), rows
    assert json.loads(shown(daemon.config, "show", fid, "--json")) == forged


def test_server_words_are_escaped(make_daemon, ingest):
    """A rejection reason and the last upload error come from the server."""
    d = make_daemon(dsn=f"http://tok123456@127.0.0.1:{ingest.port}/p")
    assert ingest.wait(lambda i: i.handshakes, 10), d.log()
    ingest.script((400, {}, {"detail": f"refused{EVIL}"}))
    p = cli(d.config, "message", "to be rejected")
    assert p.returncode == 0, p.stderr
    d.wait_event(lambda e: e["message"] == "to be rejected", state="rejected")

    ev_id = os.path.basename(d.event_files("rejected")[0])[:-len(".json")]
    with open(os.path.join(d.spool, "rejected", ev_id + ".reason"), encoding="utf-8") as f:
        reason = f.read().rstrip("\n")
    assert "\u009b6n" in reason                     # the daemon kept the C1 CSI

    out = shown(d.config, "show", "--last")
    assert f"  event        {ev_id} (rejected: {escaped(reason)})\n" in out, out
    assert "\\u009b6n" in out
    assert wait_for(lambda: "\\u009b6n" in shown(d.config, "status"), 15)
    status = shown(d.config, "status")
    assert re.search(r"^last error +HTTP 400: refused.*\\u009b6n", status, re.M), status
