"""Security review, item 2: root never spools into a place another user
prepared.  `booboo run` without HOME used the fixed /tmp/.local/state/booboo,
and the daemon emptied the spool's tmp/ through a symlink: a local user who
made that path first (or its tmp/) as a symlink had root delete, or write,
files of the user's choosing.  Now `booboo run` uses a directory of the
user's alone, and boobood refuses a spool that is a symlink, someone
else's, writable by others, or reached through a directory others could
change."""
import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import CLI, SHIM, run_shim, sanitizer_reports
from test_intake import refused_start

NOBODY = 65534
OLD_PATH = "/tmp/.local/state/booboo"     # where booboo run spooled with no HOME


def as_nobody(*cmd):
    subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd],
                   check=True)


def victim(tmp_path):
    """A directory of root's with a file that must survive."""
    v = tmp_path / "victim"
    (v / "tmp").mkdir(parents=True)
    for f in (v / "precious", v / "tmp" / "precious"):
        f.write_text("keep me\n")
    return v


def assert_untouched(v):
    assert (v / "precious").read_text() == "keep me\n"
    assert (v / "tmp" / "precious").read_text() == "keep me\n"
    assert sorted(os.listdir(v)) == ["precious", "tmp"]          # nothing written there
    assert os.listdir(v / "tmp") == ["precious"]


def run_without_home(tmp_path, prog, env=None):
    """booboo run as root, no daemon running, HOME and XDG_* unset, and a
    configured spool it cannot use (its parent is a file)."""
    (tmp_path / "afile").write_text("")
    conf = tmp_path / "booboo.conf"
    conf.write_text(f"socket = {tmp_path}/absent.sock\nspool_dir = {tmp_path}/afile/spool\n")
    e = {k: v for k, v in os.environ.items()
         if k not in ("HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "BOOBOO_SOCKET")}
    e["BOOBOO_SHIM"] = SHIM
    e.update(env or {})
    p = subprocess.run([CLI, "--config", str(conf), "run", "--", prog], capture_output=True,
                       text=True, timeout=60, env=e)
    assert not sanitizer_reports(p.stderr), p.stderr
    return p


def spool_of(p):
    m = re.search(r"started a private boobood \(spool (\S+)\)", p.stderr)
    assert m, p.stderr
    return m.group(1)


@pytest.fixture
def old_path():
    """/tmp/.local as another user could make it; removed afterwards."""
    top = "/tmp/.local"
    if os.path.lexists(top):
        pytest.skip(f"{top} exists already: not ours to replace")
    yield OLD_PATH
    if os.path.islink(top):
        os.unlink(top)
    else:
        shutil.rmtree(top)


@pytest.mark.parametrize("planted", ["spool is a symlink", "tmp is a symlink"])
def test_run_without_home_ignores_a_prepared_tmp_path(programs, tmp_path, old_path, planted):
    v = victim(tmp_path)
    if planted == "spool is a symlink":
        as_nobody("mkdir", "-p", os.path.dirname(old_path))
        as_nobody("ln", "-s", str(v), old_path)
    else:
        as_nobody("mkdir", "-p", old_path)
        as_nobody("ln", "-s", str(v / "tmp"), old_path + "/tmp")
    p = run_without_home(tmp_path, programs.build("crash_null.c"))
    spool = spool_of(p)
    try:
        assert p.returncode == 128 + signal.SIGSEGV, p.stderr
        assert "SIGSEGV: invalid read at 0x8" in p.stdout         # booboo still works
        assert_untouched(v)
        assert not spool.startswith("/tmp/.local")
        st = os.lstat(spool)
        assert st.st_uid == 0 and st.st_mode & 0o777 == 0o700
        assert len(os.listdir(os.path.join(spool, "pending"))) == 1
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def test_run_without_home_uses_a_private_runtime_dir(programs, tmp_path):
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    p = run_without_home(tmp_path, programs.build("crash_null.c"),
                         env={"XDG_RUNTIME_DIR": str(run)})
    assert p.returncode == 128 + signal.SIGSEGV, p.stderr
    assert spool_of(p) == f"{run}/booboo"
    assert len(os.listdir(run / "booboo" / "pending")) == 1


def test_run_without_home_ignores_another_users_runtime_dir(programs, tmp_path):
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    os.chown(run, NOBODY, NOBODY)
    p = run_without_home(tmp_path, programs.build("crash_null.c"),
                         env={"XDG_RUNTIME_DIR": str(run)})
    spool = spool_of(p)
    try:
        assert p.returncode == 128 + signal.SIGSEGV, p.stderr
        assert not spool.startswith(str(run)) and os.listdir(run) == []
    finally:
        shutil.rmtree(spool, ignore_errors=True)


# ---- boobood: the spool is checked, then used through its descriptor --------

def start_with_spool(tmp_path, spool):
    conf = tmp_path / "booboo.conf"
    conf.write_text(f"socket = {tmp_path}/booboo.sock\nspool_dir = {spool}\n")
    return refused_start(conf)


def nobody_owns(path):
    os.lchown(path, NOBODY, NOBODY)


def unsafe_spools(tmp_path, v):
    """name -> (spool_dir, what the log must say about which path)."""
    real = tmp_path / "real"
    real.mkdir()
    cases = {}
    (tmp_path / "link").symlink_to(real)
    cases["spool is a symlink"] = (tmp_path / "link", f"{tmp_path}/link: a symbolic link")
    for sub in ("tmp", "pending", "sent", "rejected"):
        s = tmp_path / f"s-{sub}"
        s.mkdir(mode=0o700)
        (s / sub).symlink_to(v / "tmp" if sub == "tmp" else v)
        cases[f"{sub}/ is a symlink"] = (s, f"{s}/{sub}: a symbolic link")
    s = tmp_path / "s-nobody"
    s.mkdir(mode=0o700)
    nobody_owns(s)
    cases["spool is another user's"] = (s, f"{s}: owner uid {NOBODY}, mode 0700")
    s = tmp_path / "s-pending-nobody"
    (s / "pending").mkdir(mode=0o700, parents=True)
    os.chmod(s, 0o700)
    nobody_owns(s / "pending")
    cases["pending/ is another user's"] = (s, f"{s}/pending: owner uid {NOBODY}")
    s = tmp_path / "s-open"
    s.mkdir()
    os.chmod(s, 0o777)
    cases["spool writable by others"] = (s, f"{s}: owner uid 0, mode 0777")
    s = tmp_path / "s-tmp-open"
    (s / "tmp").mkdir(parents=True)
    os.chmod(s, 0o700)
    os.chmod(s / "tmp", 0o1777)
    cases["tmp/ writable by others"] = (s, f"{s}/tmp: owner uid 0, mode 1777")
    o = tmp_path / "open"
    o.mkdir()
    os.chmod(o, 0o777)
    cases["a parent writable by others"] = (o / "spool", f"{o}: owner uid 0, mode 0777")
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    (sticky / "planted").symlink_to(real)
    nobody_owns(sticky / "planted")
    cases["a parent is another user's symlink"] = (sticky / "planted" / "spool",
                                                   f"{sticky}/planted: a symbolic link that is not")
    return cases


CASES = ["spool is a symlink", "tmp/ is a symlink", "pending/ is a symlink", "sent/ is a symlink",
         "rejected/ is a symlink", "spool is another user's", "pending/ is another user's",
         "spool writable by others", "tmp/ writable by others", "a parent writable by others",
         "a parent is another user's symlink"]


@pytest.mark.parametrize("case", CASES)
def test_daemon_refuses_an_unsafe_spool(tmp_path, case):
    v = victim(tmp_path)
    spool, says = unsafe_spools(tmp_path, v)[case]
    p = start_with_spool(tmp_path, spool)
    assert p.returncode == 1, p.stderr
    assert (f"boobood: {spool}: cannot open the spool: not a private directory (a symbolic "
            "link, another user's, or writable by others)") in p.stderr, p.stderr
    assert says in p.stderr and "refused" in p.stderr, p.stderr
    assert_untouched(v)
    assert os.listdir(tmp_path / "real") == []


def test_daemon_takes_a_spool_under_roots_symlink_and_sticky_dir(make_daemon, programs, tmp_path):
    """What is safe still works: a symlink root made on the way, a sticky
    /tmp-like parent, a spool made from nothing (mkdir -p, 0700)."""
    real = tmp_path / "real"
    real.mkdir()
    os.chmod(real, 0o1777)
    (tmp_path / "link").symlink_to(real)
    spool = tmp_path / "link" / "a" / "b" / "spool"
    d = make_daemon(start=False, subdir="d")
    d.spool = str(spool)
    with open(d.config, "w") as f:
        f.write(f"socket = {d.socket}\nspool_dir = {spool}\n")
    d.start()
    _, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
    d.event_for_pid(pid)
    st = os.stat(spool)
    assert st.st_uid == 0 and st.st_mode & 0o777 == 0o700
    for sub in ("tmp", "pending", "sent", "rejected"):
        assert os.stat(spool / sub).st_mode & 0o777 == 0o700
