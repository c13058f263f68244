"""Return codes hashed ahead of need: a class sending at once finds its codes ready, each code
is the argon2id the thread lookup expects, given to one report only, made at the lowest CPU
priority, and forgotten when the server stops."""

import os
import time
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from school_report import code_pool, codes
from school_report.code_pool import CodePool, fresh_code
from school_report.migrations import migrate
from school_report.reports import submit_report
from school_report.settings import get_setting
from tests.support import return_code_in, send_report, topic_id
from web.app import create_app

SALT = "00" * 16


def filled(pool: CodePool, count: int, seconds: float = 30) -> CodePool:
    deadline = time.monotonic() + seconds
    while len(pool) < count:
        assert time.monotonic() < deadline, f"pool holds {len(pool)} of {count}"
        time.sleep(0.02)
    return pool


@pytest.fixture
def pool():
    pool = code_pool.start_pool(SALT, 4)
    yield pool
    code_pool.stop_pool()


def test_the_pool_fills_itself_with_codes_whose_hashes_find_their_reports(pool):
    filled(pool, 4)
    taken = [pool.take() for _ in range(4)]
    for code, code_hash in taken:
        assert code_hash == codes.hash_return_code(code, SALT)
    assert len({code for code, _ in taken}) == 4  # each code given once
    filled(pool, 4)  # taken codes are replaced


class CountingHashers:
    """Stands in for the request path's argon2 threads, counting what they are asked."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self.real = codes._HASHERS
        monkeypatch.setattr(codes, "_HASHERS", self)

    def submit(self, *args, **kwargs):
        self.calls += 1
        return self.real.submit(*args, **kwargs)


def test_a_class_sending_at_once_hashes_nothing_on_the_request_path(city, monkeypatch):
    salt = get_setting(city.db, "code_salt")
    pool = filled(code_pool.start_pool(salt, 4), 4)
    hashers = CountingHashers(monkeypatch)
    school, _ = city.school()

    def send(key: str) -> None:
        submit_report(
            city.db, school, topic_id(city.db, "friends"), "nurse", "a", submission_key=key
        )

    try:
        for pupil in range(4):
            send(f"pupil {pupil}")
        assert hashers.calls == 0
        monkeypatch.setattr(code_pool, "_pool", CodePool(salt, 1))  # empty (never started)
        send("one more")
        assert hashers.calls == 1
    finally:
        pool.stop()


def test_a_pool_made_for_another_installation_is_never_used(pool):
    filled(pool, 1)
    code, code_hash = fresh_code("11" * 16)
    assert code_hash == codes.hash_return_code(code, "11" * 16)
    assert len(pool) >= 1


def test_the_pool_hashes_at_the_lowest_priority_only_in_its_own_thread(pool):
    filled(pool, 1)
    assert os.getpriority(os.PRIO_PROCESS, pool.native_id) == code_pool.LOWEST_PRIORITY
    assert os.getpriority(os.PRIO_PROCESS, 0) < code_pool.LOWEST_PRIORITY


def test_stopping_the_server_forgets_every_code_not_given_out():
    pool = filled(code_pool.start_pool(SALT, 2), 2)
    code_pool.stop_pool()
    assert len(pool) == 0 and not pool._thread.is_alive()
    assert code_pool.fresh_code(SALT)  # no pool: hashed on the spot, as before


def test_a_pupil_gets_a_code_from_the_pool_and_reads_their_thread_with_it(settings, city):
    app = create_app(replace(settings, code_pool=3))
    with TestClient(app, headers={"origin": "http://testserver"}) as client:
        pool = filled(code_pool._pool, 3)
        assert pool.salt == get_setting(city.db, "code_salt")
        _, token = city.school()
        sent = send_report(client, token, city.db)
        code = return_code_in(sent.text)
        reopened = client.post(f"/p/{token}", data={"step": "open", "code": code})
        assert reopened.status_code == 200 and "たすけて" in reopened.text
    assert code_pool._pool is None  # the lifespan ended: the pool is gone


def test_no_code_is_ever_stored_in_the_clear(settings, city):
    migrate(city.db)
    app = create_app(replace(settings, code_pool=2))
    with TestClient(app, headers={"origin": "http://testserver"}) as client:
        filled(code_pool._pool, 2)
        waiting = [code.canonical() for code, _ in code_pool._pool._ready]
        _, token = city.school()
        send_report(client, token, city.db)
    dump = "\n".join(city.db.conn.iterdump())
    assert not any(canonical in dump for canonical in waiting)
