"""Issue 8: the shim leaves a program alone when told to, and the service
runs with the least it needs."""
import os

import pytest

from conftest import run_shim


@pytest.mark.parametrize("disabled", [False, True])
def test_booboo_disable_leaves_the_programs_state_alone(programs, tmp_path, disabled):
    """With BOOBOO_DISABLE the shim makes no thread key, so the program's
    first key is key 0, and booboo_set_request must not write to it; nor
    is pthread_create wrapped (a new thread gets no alternate stack)."""
    prog = programs.build("disabled.c")
    env = {"BOOBOO_DISABLE": "1"} if disabled else {}
    res, _ = run_shim(prog, sock=str(tmp_path / "none.sock"), env=env)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].endswith(" kept"), lines
    if disabled:
        assert lines[0] == "key 0 kept"
    assert lines[1] == "thread altstack " + ("none" if disabled else "yes")
