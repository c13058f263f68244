"""A demo city: two schools and one staff account per role, for trying the service out.

Its accounts share a password printed on the screen, so it is only ever added to a database
that holds nothing but the demo city: never to a city's real one.
"""

from dataclasses import dataclass

from sqlite_utils import Database

from school_report.schools import (
    School,
    add_school,
    current_entry_token,
    find_school,
    issue_entry_link,
)
from school_report.staff import add_staff, find_staff, password_is_right
from school_report.two_factor import ROLES_THAT_MUST

DEMO_PASSWORD = "demo-password-2026"
DEMO_SCHOOLS = (("みなみ小学校", "elementary"), ("きた中学校", "junior_high"))


class NotADemoDatabase(ValueError):
    """The database holds schools or accounts of a real city; the message names one."""


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    school: str | None


DEMO_STAFF = (
    DemoLogin("centre", "centre", None),
    DemoLogin("admin", "admin", None),
    *(
        DemoLogin(f"{prefix}{n}", role, school)
        for n, (school, _) in enumerate(DEMO_SCHOOLS, start=1)
        for prefix, role in (("nurse", "nurse"), ("team", "school_team"))
    ),
)


def _not_in(names: list[str]) -> str:
    return f"NOT IN ({', '.join('?' * len(names))})"


def _real_account_named_as_demo(db: Database) -> tuple[str] | None:
    """An account with a demo login but not the demo password (an installer's own `admin`)."""
    for demo in DEMO_STAFF:
        staff = find_staff(db, demo.login)
        if staff and not password_is_right(db, staff.id, DEMO_PASSWORD):
            return (staff.login,)
    return None


def check_only_demo(db: Database) -> None:
    """Refuse a database with any school or staff account that is not the demo city's (a
    demo account whose password was changed counts as not the demo's)."""
    schools = [name for name, _ in DEMO_SCHOOLS]
    logins = [demo.login for demo in DEMO_STAFF]
    school = db.execute(f"SELECT name FROM schools WHERE name {_not_in(schools)}", schools)
    account = db.execute(f"SELECT login FROM staff WHERE login {_not_in(logins)}", logins)
    school, account = school.fetchone(), account.fetchone() or _real_account_named_as_demo(db)
    if school or account:
        what = f"school {school[0]!r}" if school else f"staff account {account[0]!r}"
        raise NotADemoDatabase(
            f"this database has a real city's {what}: the demo, with its printed password, "
            "goes only into a database of its own (--db)"
        )


def create_demo_city(db: Database, secret: str) -> tuple[dict[str, str], list[DemoLogin]]:
    """Create what is missing of the demo city. Returns each school's current entry token and
    the demo staff logins (all share DEMO_PASSWORD; where two-step login is required it is a
    temporary password, as an administrator would hand out)."""
    check_only_demo(db)
    schools: list[School] = [
        find_school(db, name) or add_school(db, name, kind) for name, kind in DEMO_SCHOOLS
    ]
    tokens = {
        school.name: current_entry_token(db, school, secret) or issue_entry_link(db, school, secret)
        for school in schools
    }
    by_name = {school.name: school for school in schools}
    for login in DEMO_STAFF:
        if find_staff(db, login.login) is None:
            school = by_name[login.school] if login.school else None
            add_staff(
                db,
                login.login,
                DEMO_PASSWORD,
                login.role,
                school,
                display_name=login.login,
                must_change_password=login.role in ROLES_THAT_MUST,
            )
    return tokens, list(DEMO_STAFF)
