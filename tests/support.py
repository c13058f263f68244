"""What the tests share: the city they arrange, and driving the pupil's forms without
JavaScript, as a browser without htmx would post them."""

import itertools
import re
import shutil
from dataclasses import dataclass

from sqlite_utils import Database

from school_report.schools import School, add_school, issue_entry_link
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
        return add_staff(self.db, unique(role), PASSWORD, role, school)


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
