"""The limit of this stack on this machine: a bare Starlette app doing a pupil's two costly
requests as plainly as possible, with the project's database settings (`connect`: WAL,
synchronous=FULL) and the project's argon2id hash of a return code. It takes the same forms at
the same address, so one load script drives both.

    BASELINE_DB=city.db uvicorn bench.baseline:app
"""

import json
import os
import threading
from datetime import UTC, datetime
from html import escape

from argon2.low_level import Type, hash_secret_raw
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from school_report.codes import (
    ARGON2_MEMORY_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME_COST,
    ReturnCode,
    new_return_code,
    parse_return_code,
)
from school_report.db import connect

SCHOOL_ID = 1
_local = threading.local()


def _conn():
    if not hasattr(_local, "conn"):
        _local.conn = connect(os.environ["BASELINE_DB"]).conn
    return _local.conn


def _hash(conn, code: ReturnCode) -> str:
    """The project's argon2id of a return code, called straight from the request's thread."""
    row = conn.execute("SELECT value FROM city_settings WHERE key = 'code_salt'").fetchone()
    return hash_secret_raw(
        secret=code.canonical().encode(),
        salt=bytes.fromhex(json.loads(row[0])),
        time_cost=ARGON2_TIME_COST,
        memory_cost=ARGON2_MEMORY_KIB,
        parallelism=ARGON2_PARALLELISM,
        hash_len=32,
        type=Type.ID,
    ).hex()


def send(form) -> str:
    conn = _conn()
    code = new_return_code()
    code_hash = _hash(conn, code)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn.execute("BEGIN IMMEDIATE")
    cursor = conn.execute(
        "INSERT INTO reports (school_id, topic_id, recipient, answered_by, urgency, code_hash, "
        "submission_key, created_at, last_pupil_message_at) "
        "VALUES (?, ?, ?, ?, 'normal', ?, ?, ?, ?)",
        [
            SCHOOL_ID,
            form["topic"],
            form["recipient"],
            form["recipient"],
            code_hash,
            form["submission_key"],
            now,
            now,
        ],
    )
    conn.execute(
        "INSERT INTO messages (report_id, author, body, created_at) VALUES (?, 'pupil', ?, ?)",
        [cursor.lastrowid, form["body"], now],
    )
    conn.execute("COMMIT")
    return code.display("ja")


def open_thread(form) -> str:
    conn = _conn()
    code = parse_return_code(form["code"])
    row = (
        code
        and conn.execute(
            "SELECT id FROM reports WHERE code_hash = ? AND school_id = ?",
            [_hash(conn, code), SCHOOL_ID],
        ).fetchone()
    )
    if not row:
        return "no such code"
    bodies = conn.execute("SELECT body FROM messages WHERE report_id = ? ORDER BY id", [row[0]])
    return "".join(f"<p>{escape(body)}</p>" for (body,) in bodies)


async def pupil_step(request: Request) -> HTMLResponse:
    form = await request.form()
    step = {"send": send, "open": open_thread}[form["step"]]
    return HTMLResponse(await run_in_threadpool(step, form))


app = Starlette(routes=[Route("/p/{token}", pupil_step, methods=["POST"])])
