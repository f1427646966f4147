"""The README's examples work as written: the IBAN scrubber as a
scrub_value rule and as a before_send program, and the commands it lists
match the tools' --help."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, CLI, DAEMON, ROOT, SHIM, run_shim

README = open(os.path.join(ROOT, "README.md")).read()


def readme_before_send(directory):
    """The README's before_send program, in a directory nobody may enter."""
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    p = directory / "scrub-iban"
    p.write_text(code)
    p.chmod(0o755)
    return p


def readme_rule():
    return re.search(r"^    (scrub_value = .*)$", README, re.M).group(1)


def iban_crash(programs, d):
    shim_dir = os.path.dirname(SHIM)
    prog = programs.build("api_demo.c", ("-O0",), libs=(SHIM, "-Wl,-rpath," + shim_dir))
    res, pid = run_shim(prog, sock=d.socket, env={"LD_PRELOAD": ""})
    return d.wait_event(lambda e: e["context"]["process"]["pid"] == pid and
                        e["exception_type"] == "PaymentDeclined")


def test_readme_iban_rule(programs, make_daemon):
    d = make_daemon(readme_rule())
    ev = iban_crash(programs, d)
    assert "DE89370400440532013000" not in json.dumps(ev)
    assert ev["message"] == "card declined for [iban]"


def test_readme_iban_before_send(programs, make_daemon, open_tmp):
    d = make_daemon(f"before_send = {readme_before_send(open_tmp)}")
    ev = iban_crash(programs, d)
    assert "DE89370400440532013000" not in json.dumps(ev)
    assert ev["message"] == "card declined for [iban]"


def test_readme_commands_exist():
    help_cli = subprocess.run([CLI, "--help"], capture_output=True, text=True).stdout
    for cmd in re.findall(r"^    booboo (\w+)", README, re.M):
        assert f"  {cmd}" in help_cli, cmd
    help_daemon = subprocess.run([DAEMON, "--help"], capture_output=True, text=True).stdout
    for opt in ("--config", "--foreground"):
        assert opt in help_daemon
    for page in ("boobood.8", "booboo.1", "booboo.conf.5", "booboo.3"):
        assert os.path.exists(os.path.join(ROOT, "man", page))


def test_readme_demo_command_shows_a_report(tmp_path):
    """The README's first command, tests/demo/run-demo.sh, end to end: the
    demo program crashes under the shim, dies as it would have, and its
    report is listed and shown (against this test run's build)."""
    if os.environ.get("BOOBOO_SHIM_PATH"):
        pytest.skip("the demo preloads its build's own shim: not the sanitized build's")
    cmd = re.search(r"^    (bash tests/demo/\S+)$", README, re.M).group(1)
    env = dict(os.environ, BOOBOO_DEMO_BUILD=BUILD)
    env.pop("LD_PRELOAD", None)
    res = subprocess.run(cmd.split(), cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=300)
    out = res.stdout
    assert res.returncode == 0, res.stdout + res.stderr
    assert "the program died with status 139" in out, out     # 128 + SIGSEGV, as without us
    assert re.search(r"^SIGSEGV: invalid read at 0x\w+ \(address not mapped\) in \w+", out, re.M), out
    assert "Stack (most recent call first):" in out and "checkout.c:" in out, out
    assert "release      demo@1.0" in out and "environment  demo" in out, out
    work = re.search(r"^\(files are in (/tmp/booboo-demo\.\w+);", out, re.M)
    assert work, out
    shutil.rmtree(work.group(1), ignore_errors=True)


def test_readme_names_every_frame_key_of_the_schema():
    """The README's "The event" says what a frame carries: every key of the
    schema's frame."""
    from event_check import SCHEMA
    section = README.split("## The event", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(\w+)`", section))
    keys = set(SCHEMA["$defs"]["frame"]["properties"])
    assert keys <= named, keys - named
