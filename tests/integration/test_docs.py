"""The README's examples work as written: the IBAN scrubber as a
scrub_value rule and as a before_send program, and the commands it lists
match the tools' --help."""
import json
import os
import re
import subprocess

from conftest import CLI, DAEMON, ROOT, SHIM, run_shim

README = open(os.path.join(ROOT, "README.md")).read()


def readme_before_send(tmp_path):
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    import tempfile
    d = tempfile.mkdtemp(prefix="booboo-readme-")
    os.chmod(d, 0o755)
    p = os.path.join(d, "scrub-iban")
    open(p, "w").write(code)
    os.chmod(p, 0o755)
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


def test_readme_iban_before_send(programs, make_daemon, tmp_path):
    d = make_daemon(f"before_send = {readme_before_send(tmp_path)}")
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
