"""`make mutants`: mutation testing (mutmut 3) of the security-critical modules, one at a time,
each against the tests that cover it, on one core. Prints, per module, how many mutants the
tests kill and every survivor that is not explained below as equivalent; exits non-zero if any
survivor is unexplained.

    .venv/bin/python -m tests.mutants             # every module (about an hour on a quiet machine)
    .venv/bin/python -m tests.mutants codes csrf  # some of them
    .venv/bin/python -m tests.mutants --list

Each module is mutated in its own copy of the project under var/mutants/<module>/ (mutmut
rewrites the files it mutates), so the working tree is never touched. Browser and live-server
tests are left out: mutmut runs each mutant in a fork of one test process.
"""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutants"
MUTMUT = Path(sys.executable).parent / "mutmut"
# What the copied project needs beside the module's package's Python files, by package (only
# that package is copied: the other is imported from the project as installed).
ALSO_COPY = {
    "school_report": ("static/", "school_report/data/"),
    "web": ("static/", "web/templates/", "web/translations/"),
}


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()  # only these functions' mutants (mutmut name globs)


MODULES = (
    Module(
        "sessions",
        "web/sessions.py",
        ("tests/test_cookie_ages.py", "tests/test_web.py", "tests/test_pupil_privacy.py"),
    ),
    Module(
        "csrf",
        "web/csrf.py",
        (
            "tests/test_csrf_every_route.py",
            "tests/test_web.py::test_a_cross_site_post_is_refused",
            "tests/test_staff_security.py::"
            "test_a_login_or_language_post_from_anywhere_but_this_site_is_refused",
            "tests/test_staff_security.py::test_with_a_base_url_set_only_its_origin_may_post",
        ),
    ),
    Module("security-headers", "web/security.py", ("tests/test_promised_settings.py",)),
    Module("db", "school_report/db.py", ("tests/test_promised_settings.py", "tests/test_db.py")),
    Module(
        "routing",
        "school_report/routing.py",
        (
            "tests/test_routing.py",
            "tests/test_two_schools.py",
            "tests/test_hand_overs.py",
            "tests/test_cases.py",
        ),
    ),
    Module(
        "permissions",
        "web/admin.py",
        ("tests/test_two_schools.py", "tests/test_admin.py"),
        ("web.admin.x__school_scope*", "web.admin.x__school__*", "web.admin.x__account__*"),
    ),
    Module(
        "codes",
        "school_report/codes.py",
        ("tests/test_codes.py", "tests/test_code_generator.py", "tests/test_properties.py"),
    ),
    Module(
        "small-numbers",
        "school_report/small_numbers.py",
        ("tests/test_statistics.py",),
    ),
    Module(
        "notification-recipients",
        "school_report/notifications.py",
        ("tests/test_two_schools.py", "tests/test_notifications.py"),
        (
            "school_report.notifications.x__mail_recipients*",
            "school_report.notifications.x_queue_report_mail*",
            "school_report.notifications.x_queue_hand_over_mail*",
            "school_report.notifications.x__wants*",
            "school_report.notifications.x_urgent_always_mailed*",
            "school_report.notifications.x__mail_event*",
        ),
    ),
    Module("logs", "web/logs.py", ("tests/test_log_lines.py",)),
)

# Survivors that are equivalent to the code as written (no test could tell them apart), each
# with its reason in one sentence. Keyed by mutmut's mutant name.
EQUIVALENT: dict[str, str] = {
    "school_report.codes.x_normalise__mutmut_19": "No code word holds ぁ, so whether a typed ァ "
    "is folded to it or left alone, no word is read differently.",
    "school_report.codes.x_normalise__mutmut_20": "No code word holds ゖ, so whether a typed ヶ "
    "is folded to it or left alone, no word is read differently.",
    "school_report.codes.x__without_latin_accents__mutmut_13": "U+0250 (ɐ) is in no code word "
    "in any language, so a mark after it is never part of a word either way.",
}


def _copy_project(module: Module) -> Path:
    home = WORK / module.name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (home / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, home / name)
    package = module.path.split("/")[0]
    others = sorted(
        str(p.relative_to(home))
        for p in (home / package).rglob("*.py")
        if str(p.relative_to(home)) != module.path
    )
    lines = ["[mutmut]", f"source_paths={package}/", "do_not_mutate="]
    lines += [f"    {other}" for other in others]
    lines += ["pytest_add_cli_args_test_selection="] + [f"    {test}" for test in module.tests]
    lines += ["pytest_add_cli_args=", "    -m", "    not browser", "    -p", "    no:cacheprovider"]
    lines += ["also_copy="] + [f"    {path}" for path in ALSO_COPY[package]]
    (home / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return home


def _statuses(home: Path) -> dict[str, str]:
    listed = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"], cwd=home, capture_output=True, text=True
    ).stdout
    return dict(re.findall(r"^\s*(\S+): (.+)$", listed, flags=re.MULTILINE))


def mutate(module: Module) -> tuple[dict[str, str], Path]:
    home = _copy_project(module)
    subprocess.run(
        [str(MUTMUT), "run", "--max-children", "1", *module.functions],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    statuses = _statuses(home)
    prefix = module.path.removesuffix(".py").replace("/", ".") + "."
    mine = {name: status for name, status in statuses.items() if name.startswith(prefix)}
    if module.functions:
        globs = [re.compile(re.escape(g).replace(r"\*", ".*")) for g in module.functions]
        mine = {n: s for n, s in mine.items() if any(g.fullmatch(n) for g in globs)}
    return mine, home


def report(module: Module, statuses: dict[str, str], home: Path) -> list[str]:
    killed = sum(status in ("killed", "timeout") for status in statuses.values())
    tested = sum(status in ("killed", "timeout", "survived") for status in statuses.values())
    survivors = [name for name, status in statuses.items() if status == "survived"]
    unexplained = [name for name in survivors if name not in EQUIVALENT]
    untested = sum(status == "no tests" for status in statuses.values())
    rate = f"{100 * killed / tested:.0f} %" if tested else "n/a"
    print(
        f"{module.name:24} {killed:4} of {tested:4} killed ({rate}); "
        f"{len(survivors) - len(unexplained)} equivalent, {len(unexplained)} unexplained, "
        f"{untested} reached by no test",
        flush=True,
    )
    for name in unexplained:
        diff = subprocess.run(
            [str(MUTMUT), "show", name], cwd=home, capture_output=True, text=True
        ).stdout
        changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] != "+++"]
        print(f"    SURVIVED {name}\n        " + "\n        ".join(changed[-4:]), flush=True)
    return unexplained


def main(names: list[str]) -> int:
    if names == ["--list"]:
        for module in MODULES:
            print(f"{module.name:24} {module.path:32} {' '.join(module.tests)}")
        return 0
    unknown = set(names) - {module.name for module in MODULES}
    if unknown:
        print(f"unknown: {sorted(unknown)}", file=sys.stderr)
        return 2
    unexplained = []
    by_name = {module.name: module for module in MODULES}
    for name in names or list(by_name):  # in the order asked for
        module = by_name[name]
        unexplained += report(module, *mutate(module))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
