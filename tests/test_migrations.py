"""The schema: created on an empty database, re-applied safely on a populated one."""

from school_report.db import connect
from school_report.migrations import migrate, migrations
from school_report.reports import submit_report
from school_report.schools import add_school
from school_report.settings import get_setting
from school_report.topics import active_topics


def test_an_empty_database_gets_the_whole_schema_and_the_seeded_topics(db):
    assert {"schools", "staff", "topics", "reports", "messages", "recipients"} <= set(
        db.table_names()
    )
    slugs = [topic.slug for topic in active_topics(db)]
    assert slugs[:2] == ["bullying", "friends"] and slugs[-1] == "other"
    assert len(slugs) == 13
    assert len(get_setting(db, "code_salt")) == 32


def test_migrating_a_populated_database_again_changes_nothing(tmp_path):
    path = tmp_path / "city.db"
    db = connect(path)
    migrate(db)
    school = add_school(db, "みなみ小学校", "elementary")
    submit_report(db, school, active_topics(db)[0].id, "school_team", "help", submission_key="k")
    salt = get_setting(db, "code_salt")
    db.close()

    again = connect(path)
    migrate(again)
    assert migrations.pending(again) == []
    assert again.execute("SELECT count(*) FROM reports").fetchone() == (1,)
    assert get_setting(again, "code_salt") == salt
    assert again.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert again.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_each_installation_has_its_own_code_salt(tmp_path):
    first, second = connect(tmp_path / "a.db"), connect(tmp_path / "b.db")
    migrate(first)
    migrate(second)
    assert get_setting(first, "code_salt") != get_setting(second, "code_salt")


def test_a_database_of_the_first_release_upgrades_with_its_reports_and_hand_overs(tmp_path):
    """The first release shipped m001 and m002: a city's data at that schema survives every
    later migration, and lands in the right inboxes and counts."""
    db = connect(tmp_path / "city.db")
    migrations.apply(db, stop_before="m003_city_administration")
    now = "2026-11-20T01:00:00+00:00"
    db.execute(
        "INSERT INTO schools (id, name, kind, created_at) VALUES (1, 'みなみ小学校', "
        "'elementary', ?)",
        [now],
    )
    db.execute(
        "INSERT INTO staff (id, login, display_name, password_hash, role, school_id, "
        "created_at) VALUES (1, 'nurse', '養護', 'x', 'nurse', 1, ?)",
        [now],
    )
    home = db.execute("SELECT id FROM topics WHERE slug = 'home'").fetchone()[0]
    for report_id, recipient in ((1, "nurse"), (2, "nurse"), (3, "centre")):
        db.execute(
            "INSERT INTO reports (id, school_id, topic_id, recipient, urgency, code_hash, "
            "submission_key, created_at, last_pupil_message_at) "
            "VALUES (?, 1, ?, ?, 'normal', ?, ?, ?, ?)",
            [report_id, home, recipient, f"hash{report_id}", f"key{report_id}", now, now],
        )
        db.execute(
            "INSERT INTO messages (report_id, author, body, created_at) "
            "VALUES (?, 'pupil', 'たすけて', ?)",
            [report_id, now],
        )
    db.execute(
        "INSERT INTO hand_overs (report_id, direction, to_recipient, staff_id, pupil_consent, "
        "reason, created_at) VALUES (2, 'school_to_centre', 'centre', 1, 'agreed', 'home', ?)",
        [now],
    )

    migrate(db)

    assert migrations.pending(db) == []
    answered_by = dict(db.execute("SELECT id, answered_by FROM reports ORDER BY id"))
    assert answered_by == {1: "nurse", 2: "centre", 3: "centre"}
    assert db.execute("SELECT reading FROM schools").fetchone() == ("ruby",)
    (kept,) = db.execute(
        "SELECT sum(reports) FROM queue_counts WHERE answered_by = 'centre'"
    ).fetchone()
    assert kept == 2
    (reports_counted,) = db.execute(
        "SELECT sum(reports) FROM statistics_counts "
        "WHERE grain = 'month' AND dim = 'school_recipient'"
    ).fetchone()
    assert reports_counted == 3
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_old_hand_overs_keep_the_ground_they_had_and_none_is_invented(tmp_path):
    """m013: a legal duty ticked becomes `legal_duty` (the box cited 児童虐待防止法 第6条), the
    pupil's agreement `consent`, and a referral with neither keeps no ground; the triggers
    that put a referred report in the centre's inbox still work afterwards."""
    db = connect(tmp_path / "city.db")
    migrations.apply(db, stop_before="m013_lawful_grounds")
    school = add_school(db, "みなみ小学校", "elementary")
    now = "2026-11-20T01:00:00+00:00"
    db.execute(
        "INSERT INTO staff (id, login, display_name, password_hash, role, school_id, "
        "created_at) VALUES (1, 'nurse', '養護', 'x', 'nurse', ?, ?)",
        [school.id, now],
    )
    for report_id in (1, 2, 3, 4):
        submit_report(
            db, school, active_topics(db)[0].id, "nurse", "help", submission_key=f"k{report_id}"
        )
    for report_id, consent, duty in ((1, "agreed", 0), (2, "refused", 1), (3, "not_asked", 0)):
        db.execute(
            "INSERT INTO hand_overs (report_id, direction, to_recipient, staff_id, "
            "pupil_consent, legal_duty, reason, created_at) "
            "VALUES (?, 'school_to_centre', 'centre', 1, ?, ?, 'why', ?)",
            [report_id, consent, duty, now],
        )

    migrate(db)

    grounds = db.execute("SELECT report_id, ground, duty FROM hand_overs ORDER BY id").fetchall()
    assert grounds == [
        (1, "consent", None),
        (2, "legal_duty", "児童虐待防止法 第6条"),
        (3, None, None),
    ]
    db.execute(
        "INSERT INTO hand_overs (report_id, direction, to_recipient, staff_id, pupil_consent, "
        "reason, ground, created_at) VALUES (4, 'school_to_centre', 'centre', 1, 'agreed', "
        "'why', 'consent', ?)",
        [now],
    )
    assert db.execute("SELECT answered_by FROM reports WHERE id = 4").fetchone() == ("centre",)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
