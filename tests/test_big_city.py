"""The benchmark's city generator (bench/generate.py), at a tiny scale, and the inboxes it
exposed as slow: read through their indexes, page by page, they must still list exactly what
the routing rule admits, in the order each page promises."""

from starlette.testclient import TestClient

import bench.baseline
from bench.generate import GeneratedCity, generate_city
from school_report import triage
from school_report.db import connect
from school_report.migrations import migrate
from school_report.reports import find_report_by_code
from school_report.routing import inbox_condition
from school_report.schools import add_school, school_for_entry_token
from school_report.staff import authenticate, find_staff
from school_report.topics import active_topics
from tests.support import SECRET, inbox


def _generated(seed: int = 7, known_codes: int = 0):
    db = connect(":memory:")
    city = generate_city(
        db, secret=SECRET, schools=3, reports=200, seed=seed, known_codes=known_codes
    )
    return db, city


def _reports(db) -> list[tuple]:
    return db.execute("SELECT * FROM reports ORDER BY id").fetchall()


def test_a_generated_city_has_what_was_asked_and_the_same_from_the_same_seed():
    db, _ = _generated(known_codes=1)

    assert db.execute("SELECT count(*) FROM schools").fetchone() == (3,)
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (201,)
    no_pupil_message = db.execute(
        "SELECT count(*) FROM reports r WHERE NOT EXISTS "
        "(SELECT 1 FROM messages m WHERE m.report_id = r.id AND m.author = 'pupil')"
    ).fetchone()
    assert no_pupil_message == (0,)
    assert _reports(db)[:200] == _reports(_generated()[0])
    assert _reports(db)[:200] != _reports(_generated(seed=8)[0])


def test_a_generated_city_can_be_logged_into_and_its_known_codes_open_their_reports():
    db, city = _generated(known_codes=2)
    first = city.schools[0]

    assert school_for_entry_token(db, city.entry_tokens[first.id]) == first
    for login in (GeneratedCity.nurse(1), GeneratedCity.team(3), GeneratedCity.centre):
        assert authenticate(db, login, GeneratedCity.password) == find_staff(db, login)
    assert len(city.known_codes) == 2
    assert all(find_report_by_code(db, first, code) for code in city.known_codes)


def _hand_over(db, report_id: int, to: str, by: int) -> None:
    direction = "school_to_centre" if to == "centre" else "centre_to_school"
    db.execute(
        "INSERT INTO hand_overs (report_id, direction, to_recipient, staff_id, pupil_consent, "
        "reason, created_at) VALUES (?, ?, ?, ?, 'agreed', 'bench', '2026-01-05T00:00:00+00:00')",
        [report_id, direction, to, by],
    )


def test_every_inbox_lists_what_the_routing_rule_admits_handed_over_reports_included():
    db, _ = _generated()
    team, centre, nurse = (find_staff(db, x) for x in ("team001", "centre01", "nurse002"))
    to_centre, to_nurse = (
        db.execute(
            "SELECT id FROM reports WHERE recipient = ? AND school_id = ? ORDER BY id LIMIT 1",
            [recipient, school_id],
        ).fetchone()[0]
        for recipient, school_id in (("school_team", team.school_id), ("centre", nurse.school_id))
    )
    db.execute("UPDATE reports SET staff_unread = 1 WHERE id IN (?, ?)", [to_centre, to_nurse])
    _hand_over(db, to_centre, "centre", team.id)
    _hand_over(db, to_nurse, "nurse", centre.id)

    for staff in (team, centre, nurse, find_staff(db, "nurse001")):
        condition, params = inbox_condition(staff)
        for status in ("open", "closed", "all", "new"):
            filters = triage.QueueFilter(status=status)
            shown = [row.report.id for row in triage.queue(db, staff, filters).rows]
            where, values = triage._where(staff, filters)
            expected = db.execute(
                f"SELECT r.id FROM reports r WHERE {where} "
                f"ORDER BY {triage._order(staff, filters)} LIMIT ?",
                [*values, triage.PAGE_SIZE],
            ).fetchall()
            assert shown == [row[0] for row in expected]
        everything = db.execute(f"SELECT r.id FROM reports r WHERE {condition}", params)
        assert sorted(r.id for r in inbox(db, staff)) == sorted(row[0] for row in everything)
    assert to_centre in {r.id for r in inbox(db, centre)}
    assert to_nurse in {r.id for r in inbox(db, nurse)}


def test_the_centre_queue_is_read_in_index_order_not_sorted_at_every_look():
    db, _ = _generated()
    centre = find_staff(db, "centre01")
    for status in ("open", "new", "closed"):
        where, values = triage._where(centre, triage.QueueFilter(status=status))
        order = triage._order(centre, triage.QueueFilter(status=status))
        plan = " ".join(
            row[-1]
            for row in db.execute(
                f"EXPLAIN QUERY PLAN SELECT r.id FROM reports r WHERE {where} "
                f"ORDER BY {order} LIMIT 50",
                values,
            )
        )
        assert "TEMP B-TREE" not in plan, (status, plan)


def test_the_centres_kept_counts_are_the_counts_of_its_reports_after_any_case_work():
    db, _ = _generated()
    centre, team = find_staff(db, "centre01"), find_staff(db, "team001")
    db.execute("UPDATE reports SET assigned_to = ? WHERE id % 7 = 0", [centre.id])
    db.execute("UPDATE reports SET status = 'closed' WHERE id % 5 = 0")
    db.execute("UPDATE reports SET watch_case = 1, assigned_to = NULL WHERE id % 11 = 0")
    (referred,) = db.execute(
        "SELECT id FROM reports WHERE recipient = 'school_team' AND school_id = ? LIMIT 1",
        [team.school_id],
    ).fetchone()
    _hand_over(db, referred, "centre", team.id)
    columns = {"status": "status", "assignee": "assigned_to", "school": "school_id"}
    columns |= {"topic": "topic_id", "watch": "watch_case"}
    for filters in (
        triage.QueueFilter(),
        triage.QueueFilter(status="all"),
        triage.QueueFilter(status="closed", assignee="none"),
        triage.QueueFilter(school_id=team.school_id, watch=True),
        triage.QueueFilter(assignee="me", topic_id=1),
    ):
        for facet, column in columns.items():
            condition, params = triage._where(centre, filters, facet)
            watch_only = "AND r.watch_case = 1" if facet == "watch" else ""
            counted = {
                "" if value is None else str(value): n
                for value, n in db.execute(
                    f"SELECT r.{column}, count(*) FROM reports r WHERE {condition} {watch_only} "
                    f"GROUP BY r.{column}",
                    params,
                )
            }
            assert triage._count_by(db, centre, filters, facet) == counted, (filters, facet)


def test_the_benchmarks_bare_baseline_stores_a_report_and_opens_it_with_its_code(
    tmp_path, monkeypatch
):
    """The baseline must do the project's work on the project's schema, or its figures say
    nothing: a send stores a report and a message, and the code it shows opens them."""

    path = tmp_path / "baseline.db"
    db = connect(path)
    migrate(db)
    add_school(db, "みなみ小学校", "elementary")
    topic = active_topics(db)[0]
    monkeypatch.setenv("BASELINE_DB", str(path))
    monkeypatch.setattr(bench.baseline, "_local", type(bench.baseline._local)())
    form = {"step": "send", "topic": topic.id, "recipient": "nurse", "body": "ねむれない"}
    with TestClient(bench.baseline.app) as client:
        sent = client.post("/p/x", data={**form, "submission_key": "k1"})
        opened = client.post("/p/x", data={"step": "open", "code": sent.text})
    assert sent.status_code == 200 and "ねむれない" in opened.text
    assert db.execute("SELECT count(*), answered_by FROM reports").fetchone() == (1, "nurse")
