"""The booboo command line: list, show, message, run, status."""
import json
import os
import signal
import subprocess

from conftest import CLI, SHIM, run_shim, sanitizer_reports


def cli(daemon_or_conf, *args, env=None, timeout=60):
    conf = daemon_or_conf if isinstance(daemon_or_conf, str) else daemon_or_conf.config
    e = dict(os.environ)
    e.pop("BOOBOO_SOCKET", None)
    e["BOOBOO_SHIM"] = SHIM          # the shim the tests chose (uninstrumented under ASan)
    e.update(env or {})
    p = subprocess.run([CLI, "--config", conf, *args], capture_output=True, text=True,
                       timeout=timeout, env=e)
    # under ASan, the CLI (and a private daemon it starts) must stay clean
    assert not sanitizer_reports(p.stderr), p.stderr
    return p


def test_message_event(daemon):
    p = cli(daemon, "message", "deploy finished", "--level", "warning",
            env={"BOOBOO_ENVIRONMENT": "canary", "BOOBOO_TAGS": "team=ops"})
    assert p.returncode == 0 and "message sent" in p.stdout, p.stderr
    ev = daemon.wait_event(lambda e: e["message"] == "deploy finished")
    assert ev["level"] == "warning"
    assert ev["exception_type"] == ""
    assert ev["environment"] == "canary"
    assert ev["tags"] == {"team": "ops", "runtime": "native"}
    assert ev["stacktrace"] == [] and ev["exceptions"] == []


def test_message_bad_level_and_no_daemon(tmp_path, daemon):
    p = cli(daemon, "message", "x", "--level", "fatal")
    assert p.returncode == 2 and "--level" in p.stderr
    conf = tmp_path / "other.conf"
    conf.write_text(f"socket = {tmp_path}/none.sock\nspool_dir = {tmp_path}/s\n")
    p = cli(str(conf), "message", "x")
    assert p.returncode == 1 and "none.sock" in p.stderr and "cannot reach boobood" in p.stderr


def test_list_and_show(programs, daemon):
    prog = programs.build("crash_null.c")
    _, pid = run_shim(prog, sock=daemon.socket)
    daemon.event_for_pid(pid)
    cli(daemon, "message", "hello there")
    daemon.wait_event(lambda e: e["message"] == "hello there")
    p = cli(daemon, "list")
    lines = p.stdout.splitlines()
    assert p.returncode == 0 and lines[0].startswith("TIME")
    assert "SIGSEGV" in lines[1] and "pending" in lines[1] and "crash_null" in lines[1]
    assert "message" in lines[2] and "hello there" in lines[2]
    crash_id = lines[1].split()[-1]
    p = cli(daemon, "show", crash_id)
    assert p.returncode == 0
    out = p.stdout
    assert out.splitlines()[0].startswith("SIGSEGV: invalid read at 0x8")
    assert "Stack (most recent call first):" in out
    # the crash site first, the app's frames marked, with file:line
    frames = [l for l in out.splitlines() if l.lstrip("> ").startswith("#")]
    assert frames[0].startswith(">") and "credit at " in frames[0] and "crash_null.c:" in frames[0]
    assert any(l.startswith(" ") and "__libc_start" in l for l in frames)
    assert "a->balance += amount;" in out          # source context of the app's frames
    p = cli(daemon, "show", "--last", "--json")
    assert json.loads(p.stdout)["message"] == "hello there"
    p = cli(daemon, "show", "20990101-000000-000000-deadbeef")
    assert p.returncode == 1 and "no event" in p.stderr
    p = cli(daemon, "show", "../../etc/passwd")
    assert p.returncode == 1


def test_run_starts_a_private_daemon(programs, tmp_path):
    prog = programs.build("crash_null.c")
    conf = tmp_path / "booboo.conf"
    conf.write_text(f"socket = {tmp_path}/absent.sock\nspool_dir = {tmp_path}/spool\n")
    p = cli(str(conf), "run", "--", prog)
    assert p.returncode == 128 + signal.SIGSEGV
    assert "private boobood" in p.stderr
    assert "SIGSEGV: invalid read at 0x8" in p.stdout
    assert "credit at " in p.stdout
    assert os.listdir(tmp_path / "spool" / "pending")
    assert not os.path.exists(f"{tmp_path}/absent.sock")


def test_run_uses_a_running_daemon_and_passes_status(programs, daemon):
    prog = programs.build("divzero.c")
    p = cli(daemon, "run", "--", prog, "5")           # does not crash
    assert p.returncode == 0 and p.stdout.strip() == "20"
    assert "private" not in p.stderr
    p = cli(daemon, "run", "--", prog)
    assert p.returncode == 128 + signal.SIGFPE
    assert "SIGFPE: integer divide by zero" in p.stdout
    assert len(daemon.events()) == 1


def test_status(daemon, tmp_path):
    p = cli(daemon, "status")
    assert p.returncode == 0
    assert "daemon        running" in p.stdout
    assert "local mode" in p.stdout
    assert "0 pending, 0 sent, 0 rejected" in p.stdout
    conf = tmp_path / "x.conf"
    conf.write_text(f"socket = {tmp_path}/none.sock\nspool_dir = {daemon.spool}\n"
                    "dsn = https://abcdef123456@ingest.example/x\n")
    p = cli(str(conf), "status")
    assert p.returncode == 3 and "not running" in p.stdout
    assert "abcd..." in p.stdout and "abcdef123456" not in p.stdout


def test_status_checks_the_endpoint(make_daemon, ingest, tmp_path):
    d = make_daemon(dsn=f"http://tok987654@127.0.0.1:{ingest.port}/p")
    p = cli(d, "status")
    assert p.returncode == 0
    assert "reachable     yes, HTTP 200" in p.stdout
    assert "tok9..." in p.stdout and "tok987654" not in p.stdout
    ingest.script((403, {}, {"detail": "unknown token"}))
    p = cli(d, "status")
    assert "HTTP 403 (the token is refused)" in p.stdout
    conf = tmp_path / "down.conf"
    conf.write_text(f"socket = {d.socket}\nspool_dir = {d.spool}\n"
                    "dsn = http://tok987654@127.0.0.1:9/p\n")
    p = cli(str(conf), "status")
    assert "reachable     no:" in p.stdout
