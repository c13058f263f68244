"""What the tests share: the city they arrange, and driving the pupil's forms without
JavaScript, as a browser without htmx would post them."""

import itertools
import re
import shutil
from dataclasses import dataclass

import pyotp
from sqlite_utils import Database

from school_report import triage, two_factor
from school_report.clock import utc_now
from school_report.codes import code_space
from school_report.hand_overs import hand_over
from school_report.reports import Report
from school_report.schools import School, add_school, issue_entry_link
from school_report.settings import set_setting
from school_report.staff import Staff, add_staff
from school_report.topics import active_topics

SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery staple"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


@dataclass
class City:
    """Handles for arranging a test's world in the service's database."""

    db: Database
    secret: str

    def school(self, kind: str = "elementary") -> tuple[School, str]:
        """A new school and its entry token."""
        school = add_school(self.db, unique("School "), kind)
        return school, issue_entry_link(self.db, school, self.secret)

    def staff(self, role: str, school: School | None = None) -> Staff:
        """A new account with PASSWORD; where two-step login is required (centre, admin) it is
        set up already, and `log_in` / `log_in_page` type its codes."""
        staff = add_staff(self.db, unique(role), PASSWORD, role, school)
        if two_factor.is_required(self.db, staff):
            enrol_two_factor(self.db, staff)
        return staff


@dataclass
class TwoFactorDevice:
    """A staff member's authenticator app, and their recovery codes, as a test holds them."""

    secret: str
    recovery_codes: list[str]
    last_step: int

    def next_code(self) -> str:
        """A code the server has not seen yet: a later time step while one is valid (one step
        either side of now), then the recovery codes."""
        totp = pyotp.TOTP(self.secret)
        step = max(self.last_step + 1, totp.timecode(utc_now()) - 1)
        if step <= totp.timecode(utc_now()) + 1:
            self.last_step = step
            return totp.generate_otp(step)
        return self.recovery_codes.pop()


DEVICES: dict[str, TwoFactorDevice] = {}


def enrol_two_factor(db: Database, staff: Staff) -> TwoFactorDevice:
    secret = two_factor.pending_secret(db, staff)
    totp = pyotp.TOTP(secret)
    step = totp.timecode(utc_now())
    codes = two_factor.confirm_enrolment(db, staff, totp.generate_otp(step))
    assert codes is not None
    DEVICES[staff.login] = TwoFactorDevice(secret, codes, step)
    return DEVICES[staff.login]


def form_token(client, page: str = "/staff/login") -> str:
    """The CSRF token of a page's forms, as a browser gets it (with the page's cookies)."""
    return csrf_token_in(client.get(page).text)


def post_login_form(client, login: str, password: str = PASSWORD, **options):
    """Post the login form as a browser does: the login page first, for its token."""
    form = {"login": login, "password": password, "csrf_token": form_token(client)}
    return client.post("/staff/login", data=form, **options)


def post_code_form(client, code: str, **options):
    """Post the second-factor form as a browser does: its page first, for its token."""
    form = {"code": code, "csrf_token": form_token(client, "/staff/login/code")}
    return client.post("/staff/login/code", data=form, **options)


def log_in(client, staff: Staff, password: str = PASSWORD) -> str:
    """Log in through the pages (typing the second-factor code where asked); return the CSRF
    token of the session."""
    response = post_login_form(client, staff.login, password, follow_redirects=False)
    assert response.status_code == 303, response.text
    if response.headers["location"] == "/staff/login/code":
        code = DEVICES[staff.login].next_code()
        response = post_code_form(client, code, follow_redirects=False)
        assert response.status_code == 303, response.text
    return form_token(client, "/staff")


def log_in_page(page, url: str, staff: Staff, password: str = PASSWORD) -> None:
    """Log in in the browser, typing the second-factor code where asked."""
    page.goto(f"{url}/staff/login")
    page.get_by_label("ログインID").fill(staff.login)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()
    if page.url.endswith("/staff/login/code"):
        page.locator("input[name=code]").fill(DEVICES[staff.login].next_code())
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_load_state()


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


CODE_GROUP = re.compile(
    r'<span class="code-word">([^<]+)</span> <span class="code-number">(\d\d)</span>'
)


def topic_id(db, slug: str) -> int:
    return next(topic.id for topic in active_topics(db) if topic.slug == slug)


def send_report(
    client,
    token,
    db,
    *,
    topic="bullying",
    recipient="school_team",
    body="たすけて",
    key="form-1",
    **fields,
):
    """Post the last step of the flow; return the response."""
    form = {
        "step": "send",
        "topic": str(topic_id(db, topic)),
        "recipient": recipient,
        "body": body,
        "submission_key": key,
        **fields,
    }
    return client.post(f"/p/{token}", data=form)


def return_code_in(html: str) -> str:
    groups = CODE_GROUP.findall(html)
    assert len(groups) == 3, html
    return " ".join(f"{word} {number}" for word, number in groups)


def inbox(db: Database, staff: Staff) -> list[Report]:
    """Every report in the staff member's inbox, closed ones too, in the page's order."""
    filters, reports = triage.QueueFilter(status="all"), []
    while True:
        page = triage.queue(db, staff, filters)
        reports += [row.report for row in page.rows]
        if not page.more:
            return reports
        filters = triage.QueueFilter(status="all", page=page.page + 1)


def hand_over_with_consent(db: Database, by: Staff, report: Report, to_recipient: str) -> None:
    """Hand a report over on the pupil's consent, as staff do in most cases."""
    hand_over(db, by, report, to_recipient, pupil_consent="agreed", ground="consent", reason="同意")


# The wrong codes a test's school link takes before it refuses codes (the real budget, sized by
# `code_guess_chance_per_day`, is thousands a day).
CODE_GUESSES = 30


def limit_code_guesses(db: Database, school: School, budget: int = CODE_GUESSES) -> None:
    """Set the city's guess chance so that this school's link refuses every code after `budget`
    wrong ones today (with the reports it has now)."""
    (live,) = db.execute("SELECT count(*) FROM reports WHERE school_id = ?", [school.id]).fetchone()
    set_setting(db, "code_guess_chance_per_day", (budget + 0.5) * max(live, 1) / code_space())
