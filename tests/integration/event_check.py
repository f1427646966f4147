"""Checks an event against event_schema.json, the whole event as the ingest
types it.  conftest.py checks every event a test reads from a spool and
every spool a test leaves behind; ingest_server.py checks every event it
receives and answers 422 to one that does not match, as booboo's ingest
does, so no change can drift from the Python SDK's types unnoticed."""
import json
import os

from jsonschema import Draft202012Validator

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "event_schema.json")

with open(SCHEMA_PATH) as _f:
    SCHEMA = json.load(_f)
Draft202012Validator.check_schema(SCHEMA)
_VALIDATOR = Draft202012Validator(SCHEMA)


def _path(error):
    """'stacktrace[3].function': where in the event, as one would index it."""
    out = ""
    for p in error.absolute_path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(the event)"


def _order(error):
    """Event order: stacktrace[2] before stacktrace[10]."""
    return [(0, p) if isinstance(p, int) else (1, p) for p in error.absolute_path]


def schema_errors(event):
    """Every way the event breaks the schema, one 'path: what' line each."""
    errors = sorted(_VALIDATOR.iter_errors(event), key=_order)
    return [f"{_path(e)}: {e.message[:300]}" for e in errors]


_reported = set()       # spool files a test already failed on: said once


def check_event(event, where):
    """Fails the test, naming each offending path, unless event matches."""
    errors = schema_errors(event)
    if errors:
        _reported.add(where)
    assert not errors, (f"event from {where} does not match {os.path.basename(SCHEMA_PATH)}:\n  "
                        + "\n  ".join(errors[:20]))


def check_spools(root):
    """Every event file under root, in any spool's pending, sent or rejected."""
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) not in ("pending", "sent", "rejected"):
            continue
        for name in sorted(n for n in files if n.endswith(".json")):
            path = os.path.join(dirpath, name)
            if path in _reported:
                continue
            with open(path) as f:
                check_event(json.load(f), path)
