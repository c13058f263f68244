"""How many new reports are accepted in a while, per school link and across the city.

A prank script posting report after report is stopped; a class that reports together is not
(30 pupils in one minute pass with the defaults). Counted from `reports.created_at`, never by
network address: a whole school shares one. The city can change the limits
(`submission_limits`).
"""

from datetime import timedelta

from sqlite_utils import Database

from school_report.clock import utc_now
from school_report.schools import School
from school_report.settings import get_setting


def _count_since(db: Database, minutes: int, school_id: int | None) -> int:
    since = (utc_now() - timedelta(minutes=minutes)).isoformat(timespec="seconds")
    where, params = ("school_id = ? AND ", [school_id]) if school_id is not None else ("", [])
    (count,) = db.execute(
        f"SELECT count(*) FROM reports WHERE {where}created_at > ?", [*params, since]
    ).fetchone()
    return count


def may_submit_report(db: Database, school: School) -> bool:
    """False while this school's link, or the whole city, has had its fill of new reports.
    Ask again inside the transaction that stores the report, or parallel sends all pass."""
    limits = get_setting(db, "submission_limits")
    school_limit, city_limit = limits["per_school"], limits["citywide"]
    if _count_since(db, school_limit["minutes"], school.id) >= school_limit["count"]:
        return False
    return _count_since(db, city_limit["minutes"], None) < city_limit["count"]
