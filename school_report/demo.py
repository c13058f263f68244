"""A demo city: two schools and one staff account per role, for trying the service out."""

from dataclasses import dataclass

from sqlite_utils import Database

from school_report.schools import (
    School,
    add_school,
    current_entry_token,
    find_school,
    issue_entry_link,
)
from school_report.staff import add_staff, find_staff

DEMO_PASSWORD = "demo-password-2026"
DEMO_SCHOOLS = (("みなみ小学校", "elementary"), ("きた中学校", "junior_high"))


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    school: str | None


def create_demo_city(db: Database, secret: str) -> tuple[dict[str, str], list[DemoLogin]]:
    """Create what is missing of the demo city. Returns each school's current entry token and
    the demo staff logins (all share DEMO_PASSWORD)."""
    schools: list[School] = [
        find_school(db, name) or add_school(db, name, kind) for name, kind in DEMO_SCHOOLS
    ]
    tokens = {
        school.name: current_entry_token(db, school, secret) or issue_entry_link(db, school, secret)
        for school in schools
    }
    logins = [
        DemoLogin("centre", "centre", None),
        DemoLogin("admin", "admin", None),
        *(
            DemoLogin(f"{prefix}{n}", role, school.name)
            for n, school in enumerate(schools, start=1)
            for prefix, role in (("nurse", "nurse"), ("team", "school_team"))
        ),
    ]
    by_name = {school.name: school for school in schools}
    for login in logins:
        if find_staff(db, login.login) is None:
            school = by_name[login.school] if login.school else None
            add_staff(db, login.login, DEMO_PASSWORD, login.role, school, display_name=login.login)
    return tokens, logins
