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
