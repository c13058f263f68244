"""The ten bugs of issue 23 that once passed the whole suite, planted again one at a time: each
must make its tests fail, and the tests must pass again once it is taken out.

    .venv/bin/python -m tests.planted_bugs            # all ten (about 5 minutes on one core)
    .venv/bin/python -m tests.planted_bugs csp pragma # some of them
    .venv/bin/python -m tests.planted_bugs --list

A bug whose code has moved on (its text is no longer found) is reported as such, never skipped
silently: rewrite it here against the new code. The file is always put back, even on Ctrl-C.
"""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PlantedBug:
    name: str
    what: str
    path: str
    edits: tuple[tuple[str, str], ...]  # (text in the code, what the bug puts instead)
    tests: tuple[str, ...]  # the tests that must catch it


BUGS = (
    PlantedBug(
        "hand-over-school",
        "a report handed over to a role is seen by that role at every school",
        "school_report/routing.py",
        (
            ("WHERE h.to_recipient = ? AND hr.school_id = ?))", "WHERE h.to_recipient = ?))"),
            (
                "[staff.school_id, staff.role, staff.role, staff.school_id]",
                "[staff.school_id, staff.role, staff.role]",
            ),
        ),
        (
            "tests/test_two_schools.py",
            "tests/test_authorisation_matrix.py::"
            "test_every_route_refuses_whoever_its_rule_refuses_and_a_refusal_changes_nothing",
        ),
    ),
    PlantedBug(
        "code-numbers",
        "return codes' numbers drawn from 0-9 instead of 00-99",
        "school_report/codes.py",
        (("secrets.randbelow(NUMBERS)", "secrets.randbelow(10)"),),
        ("tests/test_code_generator.py",),
    ),
    PlantedBug(
        "hand-over-csrf",
        "the hand-over form read without checking its CSRF token",
        "web/hand_overs.py",
        (
            ("from web.forms import one\n", "from web.forms import one, read_form\n"),
            ("form = await staff_form(request)", "form = await read_form(request)"),
        ),
        ("tests/test_csrf_every_route.py",),
    ),
    PlantedBug(
        "pupil-cookie-age",
        "the pupil cookie read without its age limit",
        "web/sessions.py",
        (("loads(raw, max_age=PUPIL_IDLE_SECONDS)", "loads(raw)"),),
        ("tests/test_cookie_ages.py",),
    ),
    PlantedBug(
        "unless-overlap",
        "a harmless phrase swallowing a real danger word it only overlaps",
        "school_report/danger_words.py",
        (
            (
                "any(start <= at and end <= stop for start, stop in harmless)",
                "any(start < end and at < stop for start, stop in harmless)",
            ),
        ),
        ("tests/test_danger_exclusions.py",),
    ),
    PlantedBug(
        "csp-form-action",
        "the Content-Security-Policy without form-action 'self'",
        "web/security.py",
        (("        \"form-action 'self'\",\n", ""),),
        ("tests/test_promised_settings.py",),
    ),
    PlantedBug(
        "pragma-synchronous",
        "synchronous=NORMAL instead of FULL",
        "school_report/db.py",
        (("PRAGMA synchronous = FULL", "PRAGMA synchronous = NORMAL"),),
        ("tests/test_promised_settings.py",),
    ),
    PlantedBug(
        "admin-centre-account",
        "a school's administrator opening and disabling accounts with no school (the centre's)",
        "web/admin.py",
        (
            (
                "if account is None or _school_scope(staff) not in (None, account.school_id):",
                "if account is None or (account.school_id is not None and "
                "_school_scope(staff) not in (None, account.school_id)):",
            ),
        ),
        (
            "tests/test_two_schools.py",
            "tests/test_authorisation_matrix.py::"
            "test_every_route_refuses_whoever_its_rule_refuses_and_a_refusal_changes_nothing",
        ),
    ),
    PlantedBug(
        "hand-over-mail-every-school",
        "the hand-over mail sent to that role at every school",
        "school_report/notifications.py",
        (
            (
                "_mail_recipients(db, school_id, (to_recipient,))",
                "_mail_recipients(db, None, (to_recipient,))",
            ),
        ),
        ("tests/test_two_schools.py",),
    ),
    PlantedBug(
        "traceback-unredacted",
        "an exception's traceback written to the log without redaction",
        "web/logs.py",
        (("record.exc_text = redacted(record.exc_text)", "pass"),),
        ("tests/test_log_lines.py",),
    ),
)


def failing_test(tests: tuple[str, ...]) -> str | None:
    """The first test that fails, or None when they all pass."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if run.returncode == 0:
        return None
    failed = [line.split()[1] for line in run.stdout.splitlines() if line.startswith("FAILED ")]
    return failed[0] if failed else f"pytest exit {run.returncode}"


def check(bug: PlantedBug) -> str:
    path = ROOT / bug.path
    original = path.read_text(encoding="utf-8")
    planted = original
    for old, new in bug.edits:
        if planted.count(old) != 1:
            return "cannot plant: the code moved on"
        planted = planted.replace(old, new)
    try:
        path.write_text(planted, encoding="utf-8")
        caught_by = failing_test(bug.tests)
    finally:
        path.write_text(original, encoding="utf-8")
    if caught_by is None:
        return "SURVIVED"
    if failing_test(bug.tests) is not None:
        return "caught, but the tests fail without it too"
    return f"caught by {caught_by.split('[')[0]}"


def main(names: list[str]) -> int:
    if names == ["--list"]:
        for bug in BUGS:
            print(f"{bug.name:28} {bug.path:32} {bug.what}")
        return 0
    unknown = set(names) - {bug.name for bug in BUGS}
    if unknown:
        print(f"unknown: {sorted(unknown)}", file=sys.stderr)
        return 2
    results = []
    for bug in BUGS:
        if names and bug.name not in names:
            continue
        result = check(bug)
        results.append(result)
        print(f"{bug.name:28} {bug.what}\n{'':28} {result}", flush=True)
    return 0 if all(result.startswith("caught by") for result in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
