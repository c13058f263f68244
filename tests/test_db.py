"""What `school_report.db` promises every caller: a new database's folder is made, a
transaction takes the write lock at once, writes all or nothing, and the health check asks
the database itself. (Its pragmas: test_promised_settings.)"""

import sqlite3

import pytest

from school_report.db import connect, is_healthy, transaction


def test_a_new_database_gets_its_folder(tmp_path):
    db = connect(tmp_path / "var" / "city" / "school-report.db")
    assert (tmp_path / "var" / "city" / "school-report.db").exists()
    assert is_healthy(db)


def test_a_transaction_writes_all_of_its_rows(tmp_path):
    db = connect(tmp_path / "school-report.db")
    db.execute("CREATE TABLE notes (body TEXT)")
    with transaction(db):
        db.execute("INSERT INTO notes VALUES ('one')")
        db.execute("INSERT INTO notes VALUES ('two')")
    again = connect(tmp_path / "school-report.db")
    assert again.execute("SELECT count(*) FROM notes").fetchone() == (2,)


def test_a_failed_transaction_writes_nothing_and_says_why(tmp_path):
    db = connect(tmp_path / "school-report.db")
    db.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(ValueError, match="half way"), transaction(db):
        db.execute("INSERT INTO notes VALUES ('one')")
        raise ValueError("half way")
    assert db.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    assert not db.conn.in_transaction


def test_a_transaction_holds_the_write_lock_from_its_start(tmp_path):
    """So two writers wait in turn instead of failing when a read turns into a write."""
    db = connect(tmp_path / "school-report.db")
    other = sqlite3.connect(tmp_path / "school-report.db", isolation_level=None, timeout=0)
    with transaction(db), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")


def test_the_health_check_fails_when_the_database_does_not_answer(tmp_path):
    db = connect(tmp_path / "school-report.db")
    assert is_healthy(db) is True
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        is_healthy(db)
