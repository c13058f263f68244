"""Backups taken while the service writes, restores that check first, and retention: closed
cases past the city's period are deleted with everything about them, except on legal hold."""

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from school_report import backup, login_throttle
from school_report.backup import BackupError, restore_backup, take_backup
from school_report.clock import utc_now
from school_report.db import connect
from school_report.migrations import migrate
from school_report.reports import submit_report
from school_report.retention import RetentionError, purge_expired_cases, set_legal_hold
from school_report.schools import add_school
from school_report.settings import set_setting
from school_report.staff import (
    add_staff,
    change_password,
    disable_staff,
    password_is_right,
    start_session,
)
from tests.support import PASSWORD, SECRET, enrol_two_factor, topic_id


@pytest.fixture
def file_db(tmp_path):
    db = connect(tmp_path / "city.db")
    migrate(db)
    return db


def report(db, school, body, key):
    submit_report(db, school, topic_id(db, "bullying"), "centre", body, submission_key=key)
    return db.execute("SELECT id FROM reports WHERE submission_key = ?", [key]).fetchone()[0]


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# Backup and restore


def test_a_backup_taken_while_reports_arrive_is_whole_and_restores(file_db, tmp_path):
    school = add_school(file_db, "みなみ小学校", "elementary")
    stop = threading.Event()
    written = []

    def pupils_keep_sending():
        db = connect(tmp_path / "city.db")
        while not stop.is_set():
            report(db, school, f"report {len(written)}", f"k{len(written)}")
            written.append(1)

    sender = threading.Thread(target=pupils_keep_sending)
    sender.start()
    try:
        while len(written) < 3:
            stop.wait(0.05)
        take_backup(file_db, tmp_path / "backup.db")
        at_backup = len(written)
        while len(written) < at_backup + 2:
            stop.wait(0.05)
    finally:
        stop.set()
        sender.join()
    copy = sqlite3.connect(tmp_path / "backup.db")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    in_copy = copy.execute("SELECT count(*) FROM reports").fetchone()[0]
    # Every report in the copy is whole: its first message came with it.
    assert copy.execute(
        "SELECT count(*) FROM reports r WHERE NOT EXISTS "
        "(SELECT 1 FROM messages m WHERE m.report_id = r.id)"
    ).fetchone() == (0,)
    assert 3 <= in_copy < count(file_db, "reports")
    assert oct(os.stat(tmp_path / "backup.db").st_mode & 0o777) == "0o600"

    restored = connect(tmp_path / "restored.db")
    migrate(restored)
    restore_backup(restored, tmp_path / "backup.db")
    assert count(restored, "reports") == in_copy


def test_a_backup_is_private_from_its_first_byte(file_db, tmp_path, monkeypatch):
    partial = tmp_path / ".private.db.partial"
    modes = []
    check = backup._problems

    def check_and_look(conn):
        modes.append(stat.S_IMODE(partial.stat().st_mode))
        return check(conn)

    monkeypatch.setattr(backup, "_problems", check_and_look)
    umask = os.umask(0o022)  # a usual umask: new files readable by everyone
    try:
        take_backup(file_db, tmp_path / "private.db")
    finally:
        os.umask(umask)
    assert modes == [0o600]
    assert stat.S_IMODE((tmp_path / "private.db").stat().st_mode) == 0o600


def ago(**kwargs):
    return (utc_now() - timedelta(**kwargs)).isoformat(timespec="seconds")


def test_a_restore_brings_back_no_session_failure_password_or_purged_case(file_db, tmp_path):
    school = add_school(file_db, "そら小学校", "elementary")
    nurse = add_staff(file_db, "nurse-sora", PASSWORD, "nurse", school)
    leaver = add_staff(file_db, "nurse-leaves", PASSWORD, "nurse", school)
    counsellor = add_staff(file_db, "centre-sora", PASSWORD, "centre")
    stolen_session = start_session(file_db, nurse)
    login_throttle.begin_login_attempt(file_db, nurse.login)
    expired = report(file_db, school, "もう けした", "k1")
    close(file_db, expired, days_ago=4 * 365)
    # The backup is taken before the nightly purge; since then the case was purged, a password
    # changed (it had leaked), an account closed, and two-step login set up.
    take_backup(file_db, tmp_path / "then.db")
    purge_expired_cases(file_db)
    change_password(file_db, nurse, PASSWORD, "a new pass phrase after the leak")
    disable_staff(file_db, leaver.id)
    device = enrol_two_factor(file_db, counsellor)

    restore_backup(file_db, tmp_path / "then.db")

    assert count(file_db, "staff_sessions") == count(file_db, "login_failures") == 0
    assert file_db.execute("SELECT count(*) FROM reports WHERE id = ?", [expired]).fetchone() == (
        0,
    )
    assert not password_is_right(file_db, nurse.id, PASSWORD)
    assert password_is_right(file_db, nurse.id, "a new pass phrase after the leak")
    assert file_db.execute("SELECT active FROM staff WHERE id = ?", [leaver.id]).fetchone() == (0,)
    secret = file_db.execute("SELECT totp_secret FROM staff WHERE id = ?", [counsellor.id])
    assert secret.fetchone() == (device.secret,)
    assert count(file_db, "staff_recovery_codes") == len(device.recovery_codes)
    assert stolen_session  # its hash is gone with every other session


def test_restore_is_refused_while_the_service_runs_on_the_database(live_server, tmp_path):
    take_backup(live_server.city.db, tmp_path / "b.db")
    db_path = live_server.log_path.parent / "school-report.db"
    reports_before = count(live_server.city.db, "reports")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "school_admin",
            "restore",
            str(tmp_path / "b.db"),
            "--db",
            str(db_path),
        ],
        capture_output=True,
        text=True,
        env={"SCHOOL_REPORT_SECRET": SECRET, "PATH": ""},
    )
    assert result.returncode == 2 and "running" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert count(live_server.city.db, "reports") == reports_before


def test_a_backup_never_overwrites_a_file(file_db, tmp_path):
    (tmp_path / "there.db").write_text("keep me")
    with pytest.raises(BackupError):
        take_backup(file_db, tmp_path / "there.db")
    assert (tmp_path / "there.db").read_text() == "keep me"


@pytest.mark.parametrize("damage", ["not a database", "truncated", "another database"])
def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(file_db, tmp_path, damage):
    school = add_school(file_db, "きた小学校", "elementary")
    report(file_db, school, "まだ ある", "k1")
    bad = tmp_path / "bad.db"
    if damage == "not a database":
        bad.write_bytes(b"hello" * 1000)
    elif damage == "truncated":
        take_backup(file_db, tmp_path / "good.db")
        bad.write_bytes((tmp_path / "good.db").read_bytes()[:3000])
    else:
        sqlite3.connect(bad).execute("CREATE TABLE notes (x)")
    with pytest.raises(BackupError):
        restore_backup(file_db, bad)
    assert count(file_db, "reports") == 1


def test_backup_and_restore_from_the_command_line(file_db, tmp_path):
    school = add_school(file_db, "ひがし小学校", "elementary")
    report(file_db, school, "ひとつめ", "k1")
    env = {"SCHOOL_REPORT_SECRET": SECRET, "PATH": ""}

    def admin(*args):
        return subprocess.run(
            [sys.executable, "-m", "school_admin", *args, "--db", str(tmp_path / "city.db")],
            capture_output=True,
            text=True,
            env=env,
        )

    assert admin("backup", str(tmp_path / "b.db")).returncode == 0
    report(file_db, school, "ふたつめ", "k2")
    again = admin("backup", str(tmp_path / "b.db"))
    assert again.returncode == 2 and "exists" in again.stderr
    assert admin("restore", str(tmp_path / "b.db")).returncode == 0
    assert count(connect(tmp_path / "city.db"), "reports") == 1


# Retention


def close(db, report_id, days_ago):
    closed_at = (utc_now() - timedelta(days=days_ago)).isoformat(timespec="seconds")
    db.execute(
        "UPDATE reports SET status = 'closed', closed_at = ? WHERE id = ?", [closed_at, report_id]
    )


def with_case_records(db, report_id, staff):
    now = utc_now().isoformat(timespec="seconds")
    db.execute(
        "INSERT INTO notes (report_id, staff_id, body, created_at) VALUES (?, ?, ?, ?)",
        [report_id, staff.id, f"note of {report_id}", now],
    )
    db.execute(
        "INSERT INTO coordination (report_id, staff_id, agency, summary, pupil_consent, "
        "contacted_at, created_at) VALUES (?, ?, 'school', 'called', 'agreed', ?, ?)",
        [report_id, staff.id, now, now],
    )
    db.execute(
        "INSERT INTO hand_overs (report_id, direction, to_recipient, staff_id, pupil_consent, "
        "reason, created_at) VALUES (?, 'centre_to_school', 'school_team', ?, 'agreed', 'x', ?)",
        [report_id, staff.id, now],
    )
    db.execute(
        "INSERT INTO case_events (report_id, staff_id, kind, created_at) VALUES (?, ?, 'x', ?)",
        [report_id, staff.id, now],
    )


def test_purge_deletes_expired_closed_cases_with_their_records_and_keeps_the_rest(db):
    school = add_school(db, "にし小学校", "elementary")
    staff = add_staff(db, "centre1", PASSWORD, "centre")
    expired = report(db, school, "ふるい", "k1")
    held = report(db, school, "ほりゅう", "k2")
    recent = report(db, school, "あたらしい", "k3")
    still_open = report(db, school, "まだ", "k4")
    for report_id in (expired, held, recent, still_open):
        with_case_records(db, report_id, staff)
    close(db, expired, days_ago=3 * 366)
    close(db, held, days_ago=3 * 366)
    close(db, recent, days_ago=3 * 365 - 2)
    set_legal_hold(db, held, True)

    case_tables = ("messages", "notes", "coordination", "hand_overs", "case_events")
    of_expired = {
        table: db.execute(
            f"SELECT count(*) FROM {table} WHERE report_id = ?", [expired]
        ).fetchone()[0]
        for table in case_tables
    }
    before = {table: count(db, table) for table in case_tables}

    result = purge_expired_cases(db)

    assert result.cases == 1
    assert result.rows == {"reports": 1, **of_expired}
    left = {row[0] for row in db.execute("SELECT id FROM reports")}
    assert left == {held, recent, still_open}
    for table in case_tables:
        assert count(db, table) == before[table] - of_expired[table], table
    assert count(db, "purging") == 0
    (subject, new_value) = db.execute(
        "SELECT subject, new_value FROM admin_log WHERE action = 'retention.purge'"
    ).fetchone()
    assert json.loads(new_value)["rows"]["notes"] == 1
    assert "ふるい" not in subject + new_value and "note of" not in new_value
    # The audit trail of the cases that stay is still append-only.
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("DELETE FROM case_events WHERE report_id = ?", [held])


def test_purge_forgets_old_wrong_codes_failed_logins_and_ended_sessions(db):
    school = add_school(db, "かわ小学校", "elementary")
    nurse = add_staff(db, "nurse-kawa", PASSWORD, "nurse", school)
    for at in (ago(days=2), ago(hours=25), ago(minutes=1)):  # wrong codes count for a day
        db.execute("INSERT INTO code_failures (school_id, at) VALUES (?, ?)", [school.id, at])
        db.execute("INSERT INTO login_failures (login_hash, at) VALUES ('x', ?)", [at])
    for n, (created, seen) in enumerate(
        [
            (ago(minutes=5), ago(minutes=1)),  # in use
            (ago(hours=1), ago(minutes=31)),  # idle too long
            (ago(hours=13), ago(minutes=1)),  # alive too long
        ]
    ):
        db.execute(
            "INSERT INTO staff_sessions (id_hash, staff_id, created_at, last_seen_at) "
            "VALUES (?, ?, ?, ?)",
            [f"s{n}", nurse.id, created, seen],
        )

    result = purge_expired_cases(db)

    assert result.traces == {"code_failures": 2, "login_failures": 2, "staff_sessions": 2}
    assert count(db, "code_failures") == count(db, "login_failures") == 1
    assert [row[0] for row in db.execute("SELECT id_hash FROM staff_sessions")] == ["s0"]
    (subject, new_value) = db.execute(
        "SELECT subject, new_value FROM admin_log WHERE action = 'retention.forget_traces'"
    ).fetchone()
    assert json.loads(new_value) == {"rows": result.traces}
    assert "かわ" not in subject + new_value and str(school.id) not in subject


def test_a_legal_hold_on_a_report_that_does_not_exist_is_refused(db):
    with pytest.raises(RetentionError):
        set_legal_hold(db, 9999, True)
    assert count(db, "admin_log") == 0


def test_the_retention_period_is_the_citys(db):
    school = add_school(db, "みなみ中学校", "junior_high")
    closed = report(db, school, "x", "k1")
    close(db, closed, days_ago=400)
    assert purge_expired_cases(db).cases == 0
    set_setting(db, "retention_years", 1)
    assert purge_expired_cases(db).cases == 1


def test_purged_words_are_overwritten_on_disk(file_db, tmp_path):
    school = add_school(file_db, "うみ小学校", "elementary")
    marker = "けしてほしい-4f2a9c"
    closed = report(file_db, school, marker, "k1")
    close(file_db, closed, days_ago=4 * 365)
    file_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert marker.encode() in (tmp_path / "city.db").read_bytes()
    purge_expired_cases(file_db)
    file_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    on_disk = (tmp_path / "city.db").read_bytes()
    wal = tmp_path / "city.db-wal"
    on_disk += wal.read_bytes() if wal.exists() else b""
    assert marker.encode() not in on_disk


def test_purge_and_legal_hold_from_the_command_line(file_db, tmp_path):
    school = add_school(file_db, "やま小学校", "elementary")
    held = report(file_db, school, "x", "k1")
    close(file_db, held, days_ago=4 * 365)
    run = [sys.executable, "-m", "school_admin"]
    db_arg = ["--db", str(tmp_path / "city.db")]
    env = {"PATH": ""}
    hold = subprocess.run([*run, "legal-hold", str(held), *db_arg], env=env, capture_output=True)
    assert hold.returncode == 0
    purge = subprocess.run([*run, "purge", *db_arg], env=env, capture_output=True, text=True)
    assert purge.returncode == 0 and "purged 0 cases" in purge.stdout
    subprocess.run([*run, "legal-hold", str(held), "--lift", *db_arg], env=env, check=True)
    purge = subprocess.run([*run, "purge", *db_arg], env=env, capture_output=True, text=True)
    assert "purged 1 cases" in purge.stdout and "messages: 1 rows" in purge.stdout
