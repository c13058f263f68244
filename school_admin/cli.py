"""The `school-admin` command. Every failure is one line on stderr and exit status 2."""

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import segno

from school_report.admin_log import COMMAND_LINE
from school_report.annual_tables import annual_report
from school_report.backup import BackupError, hold_serving_lock, restore_backup, take_backup
from school_report.cores import WORKERS_VARIABLE
from school_report.db import connect
from school_report.demo import DEMO_PASSWORD, NotADemoDatabase, create_demo_city
from school_report.hours import city_zone
from school_report.migrations import ROLES, SCHOOL_KINDS, migrate
from school_report.notifications import (
    PASSWORD_VARIABLE,
    MailSettingsRefused,
    deliver_outbox,
    mail_server,
    queue_digests,
    set_mail_server,
)
from school_report.publications import publish as publish_annual
from school_report.replication import (
    ReplicationError,
    configured_replica,
    replicate_command,
    restore_from_replica,
    write_config,
)
from school_report.retention import RetentionError, purge_expired_cases, set_legal_hold
from school_report.schools import (
    School,
    SchoolError,
    add_school,
    current_entry_token,
    entry_url,
    find_school,
    issue_entry_link,
    list_schools,
)
from school_report.settings import SettingError, base_url, set_base_url
from school_report.staff import (
    StaffError,
    add_staff,
    disable_staff,
    find_staff,
    list_staff,
    reset_password,
    set_supervisor,
)
from school_report.statistics import THRESHOLDS, StatisticsError, set_threshold
from school_report.statistics import threshold as statistics_threshold
from school_report.statistics_tables import report_tables
from school_report.two_factor import ROLES_THAT_MUST, reset_two_factor
from web.config import (
    BASE_URL_VARIABLE,
    DEFAULT_DB,
    ConfigError,
    Settings,
    create_secret_file,
)
from web.log_config import LOG_FORMATS, configure_logging, logging_config

EXIT_USAGE = 2
log = logging.getLogger("school_report.serve")


class CommandError(Exception):
    """Reported as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line, status 2
        self.exit(EXIT_USAGE, f"school-admin: {message}\n")


def _database(args: argparse.Namespace):
    db = connect(args.db)
    migrate(db)
    return db


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return Settings.from_environment(args.db)
    except ConfigError as error:
        raise CommandError(str(error)) from error


def _entry_url(settings: Settings, token: str) -> str:
    return entry_url(settings.base_url, token)


def cmd_init(args: argparse.Namespace) -> None:
    db = _database(args)
    if not os.environ.get("SCHOOL_REPORT_SECRET") and create_secret_file(args.db):
        print(f"wrote a new signing secret to {args.db.parent / 'secret.key'} (keep it private)")
    if args.base_url:
        try:
            set_base_url(db, args.base_url, COMMAND_LINE)
        except SettingError as error:
            raise CommandError(str(error)) from error
        print(f"public address: {base_url(db)} (links, QR codes, posters and mail carry it)")
    print(f"database ready: {args.db}")


def cmd_demo(args: argparse.Namespace) -> None:
    cmd_init(args)
    settings = _settings(args)
    tokens, logins = _call(create_demo_city, _database(args), settings.secret)
    print("\nPupil entry links (open one on a tablet):")
    for school, token in tokens.items():
        print(f"  {school}: {_entry_url(settings, token)}")
    print(f"\nStaff logins at {settings.base_url}/staff/login (password: {DEMO_PASSWORD}):")
    for login in logins:
        print(f"  {login.login:<8} {login.role:<12} {login.school or ''}")
    print("(centre and admin set up two-step login, then choose a password, at first login)")


def _address_warning(settings: Settings, args: argparse.Namespace) -> str | None:
    """Why printed links may lead nowhere: no address set, or (with no proxy in front) one that
    is not where this server listens."""
    if settings.base_url_source == "unset":
        return (
            f"no public address is set: links, QR codes, posters and mail carry "
            f"{settings.base_url}; set it with `school-admin init --base-url URL`, the admin "
            f"settings page or {BASE_URL_VARIABLE}"
        )
    parts = urlsplit(settings.base_url)
    served = (args.host, args.port)
    default_port = 443 if parts.scheme == "https" else 80
    if not args.proxy_headers and (parts.hostname, parts.port or default_port) != served:
        return (
            f"the public address {settings.base_url} is not where this server listens "
            f"({args.host}:{args.port}) and no proxy is named (--proxy-headers): "
            "printed links may lead nowhere"
        )
    return None


def _serve_argv(args: argparse.Namespace) -> list[str]:
    """This `serve` command again, without --replicate: what Litestream runs as its child."""
    argv = [sys.executable, "-m", "school_admin", "serve", "--db", str(args.db)]
    argv += ["--host", args.host, "--port", str(args.port), "--workers", str(args.workers)]
    argv += ["--forwarded-allow-ips", args.forwarded_allow_ips, "--log-format", args.log_format]
    return argv + (["--proxy-headers"] if args.proxy_headers else [])


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    if args.replicate:
        command = _call(replicate_command, args.db, _serve_argv(args))
        os.execv(command[0], command)  # Litestream replaces this process and runs the server
    settings = _settings(args)  # refuse to start before uvicorn does, with the reason
    warning = _address_warning(settings, args)
    if warning:
        log.warning(warning)
    _database(args).close()  # migrated once here, not by several worker processes at once
    # Held while this process lives: `restore` refuses to run under a running service.
    _call(hold_serving_lock, args.db)
    os.environ["SCHOOL_REPORT_DB"] = str(args.db)
    os.environ[WORKERS_VARIABLE] = str(args.workers)  # each process sizes its threads by it
    uvicorn.run(
        "web.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        # No access log: it would record pupils' addresses and entry links.
        access_log=False,
        log_config=logging_config(args.log_format),
        server_header=False,
    )


def cmd_school_add(args: argparse.Namespace) -> None:
    school = _call(add_school, _database(args), args.name, args.kind)
    print(f"added school {school.name} ({school.kind}); print its link: school-admin school link")


def _school_named(db, name: str) -> School:
    school = find_school(db, name)
    if school is None:
        raise CommandError(f"no school named {name!r} (see: school-admin school list)")
    return school


def cmd_school_list(args: argparse.Namespace) -> None:
    for school in list_schools(_database(args)):
        state = "active" if school.active else "inactive"
        print(f"{school.id:>4}  {school.name}  {school.kind}  {state}")


def cmd_school_link(args: argparse.Namespace) -> None:
    db = _database(args)
    settings = _settings(args)
    school = _school_named(db, args.name)
    token = None if args.rotate else current_entry_token(db, school, settings.secret)
    if token is None:
        token = issue_entry_link(db, school, settings.secret)
        print("issued a new link; any earlier link of this school no longer works")
    if settings.base_url_source == "unset":
        print(
            "school-admin: warning: no public address is set; store it first: "
            "school-admin init --base-url https://report.city.example",
            file=sys.stderr,
        )
    url = _entry_url(settings, token)
    print(url)
    segno.make(url, error="m").terminal(compact=True)


def cmd_staff_add(args: argparse.Namespace) -> None:
    db = _database(args)
    school = _school_named(db, args.school) if args.school else None
    password = os.environ.get("SCHOOL_REPORT_NEW_PASSWORD") or _ask_password()
    # Where two-step login is required, the password given here is a temporary one: only with
    # it can the person set up two-step login, which they do before choosing their own.
    temporary = args.role in ROLES_THAT_MUST
    staff = _call(
        add_staff,
        db,
        args.login,
        password,
        args.role,
        school,
        args.name,
        must_change_password=temporary,
    )
    print(f"added {staff.login} ({staff.role})")
    if temporary:
        print("at first login they set up two-step login, then choose their own password")


def _ask_password() -> str:
    import getpass

    if not sys.stdin.isatty():
        raise CommandError("set SCHOOL_REPORT_NEW_PASSWORD or run in a terminal to type it")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise CommandError("the two passwords differ")
    return first


def cmd_staff_list(args: argparse.Namespace) -> None:
    for staff, school in list_staff(_database(args)):
        print(f"{staff.login:<16} {staff.role:<12} {school or ''}")


def _staff_named(db, login: str):
    staff = find_staff(db, login)
    if staff is None:
        raise CommandError(f"no staff account {login!r} (see: school-admin staff list)")
    return staff


def cmd_staff_reset_two_factor(args: argparse.Namespace) -> None:
    db = _database(args)
    password = _call(reset_two_factor, db, _staff_named(db, args.login).id)
    print(f"two-step login of {args.login} is reset; they set it up again at their next login")
    if password:
        print("with this temporary password (hand it over in person; shown only now):")
        print(password)


def cmd_staff_disable(args: argparse.Namespace) -> None:
    db = _database(args)
    _call(disable_staff, db, _staff_named(db, args.login).id)
    print(f"{args.login} is disabled; their open sessions have ended")


def cmd_staff_supervisor(args: argparse.Namespace) -> None:
    db = _database(args)
    _call(set_supervisor, db, _staff_named(db, args.login).id, not args.off)
    state = "no longer approves" if args.off else "approves or returns"
    print(f"{args.login} {state} the replies of counsellors in training")


def cmd_staff_reset_password(args: argparse.Namespace) -> None:
    db = _database(args)
    password = _call(reset_password, db, _staff_named(db, args.login).id)
    print(f"temporary password for {args.login} (they must change it at their next login):")
    print(password)


def cmd_backup(args: argparse.Namespace) -> None:
    _call(take_backup, _database(args), args.path)
    print(f"backup written and checked: {args.path}")


def cmd_restore(args: argparse.Namespace) -> None:
    if (args.path is None) == (args.from_replica is None):
        raise CommandError("give a backup file or --from-replica, one of them")
    if args.from_replica is None:
        _call(restore_backup, _database(args), args.path)
        print(f"restored {args.db} from {args.path}")
    else:
        _restore_from_replica(args)
    print("every session has ended; accounts keep their present passwords and two-step login")


def _restore_from_replica(args: argparse.Namespace) -> None:
    if args.from_replica:  # a new machine: the replica named here, its configuration written
        _call(write_config, args.db, args.from_replica)
    copy = args.db.with_name(f".{args.db.name}.from-replica")
    copy.unlink(missing_ok=True)
    try:
        _call(restore_from_replica, args.db, copy, args.at)
        _call(restore_backup, _database(args), copy)
    finally:
        copy.unlink(missing_ok=True)
    when = args.at.isoformat() if args.at else "its latest"
    print(f"restored {args.db} from {configured_replica(args.db)} at {when}")


def cmd_replicate(args: argparse.Namespace) -> None:
    path = _call(write_config, args.db, args.to)
    print(f"wrote {path}: {args.db} replicates to {configured_replica(args.db)}")
    print("run the server with `school-admin serve --replicate` (Litestream runs beside it)")


def cmd_purge(args: argparse.Namespace) -> None:
    result = purge_expired_cases(_database(args))
    print(f"purged {result.cases} cases closed before {result.closed_before}")
    for table, count in sorted(result.rows.items()):
        print(f"  {table}: {count} rows")
    for table, count in sorted(result.traces.items()):
        print(f"  expired {table}: {count} rows")


def cmd_legal_hold(args: argparse.Namespace) -> None:
    _call(set_legal_hold, _database(args), args.report_id, not args.lift)
    print(f"report {args.report_id}: legal hold {'lifted' if args.lift else 'on'}")


def cmd_mail_server(args: argparse.Namespace) -> None:
    try:
        set_mail_server(_database(args), args.host, args.port, not args.no_starttls, args.user)
    except MailSettingsRefused as error:
        raise CommandError("give a host name and a port between 1 and 65535") from error
    print(f"mail goes through {args.host}:{args.port}; the password is read from ", end="")
    print(f"{PASSWORD_VARIABLE} when mail is sent")


def cmd_send_mail(args: argparse.Namespace) -> None:
    db = _database(args)
    server = mail_server(db)
    if server is None:
        raise CommandError("no mail server set: set the city setting smtp_host first")
    result = deliver_outbox(db, server, _settings(args).base_url)
    print(f"mail sent: {result.sent}, to try again: {result.retrying}, given up: {result.failed}")


def cmd_digest(args: argparse.Namespace) -> None:
    print(f"digests queued: {queue_digests(_database(args))}")
    cmd_send_mail(args)


STATISTICS_REFUSALS = {
    "period_reversed": "--from is after --to",
    "period_too_long": "the period may be at most five years",
    "bad_date": "dates from 2000 to 2100 only",
    "whole_months": "published figures count whole months: --from a 1st, --to a month's last day",
    "threshold_range": f"the threshold is a whole number from {THRESHOLDS[0]} to {THRESHOLDS[-1]}",
}


def cmd_stats(args: argparse.Namespace) -> None:
    from web.statistics import Scope, export_file, file_name

    db = _database(args)
    school = _school_named(db, args.school) if args.school else None
    # A school's figures are published (protected) unless --internal says otherwise.
    publish = args.publish or (school is not None and not args.internal)
    limit = statistics_threshold(db)
    scope = Scope(args.start, args.end, school, publish, limit, args.caseload)
    try:
        publication = report_tables(
            db, args.start, args.end, school.id if school else None, publish=publish
        )
        annual = annual_report(db, args.start, args.end, scope.annual(), publish=publish)
    except StatisticsError as error:
        raise CommandError(STATISTICS_REFUSALS.get(error.reason, error.reason)) from error
    body = export_file(publication, annual, scope, args.format, city_zone(db))
    if str(args.output) == "-":
        sys.stdout.buffer.write(body)
        return
    output = args.output or Path(file_name(scope, args.format))
    output.write_bytes(body)
    print(f"wrote {output}" + ("" if publish else " (internal: small numbers not hidden)"))


def cmd_stats_publish(args: argparse.Namespace) -> None:
    from web.statistics import Scope

    db = _database(args)
    school = _school_named(db, args.school) if args.school else None
    publish_view = args.publish or school is not None
    scope = Scope(args.start, args.end, school, publish_view, 0, args.caseload)
    try:
        annual = annual_report(db, args.start, args.end, scope.annual(), publish=publish_view)
    except StatisticsError as error:
        raise CommandError(STATISTICS_REFUSALS.get(error.reason, error.reason)) from error
    revision = publish_annual(db, annual, COMMAND_LINE)
    if revision is None:
        print("nothing changed since the last publication")
    elif revision.number == 0:
        print(f"published the annual tables of {args.start} – {args.end}")
    else:
        print(f"recorded revision {revision.number}: {len(revision.changes)} cells changed")


def cmd_stats_threshold(args: argparse.Namespace) -> None:
    try:
        set_threshold(_database(args), args.limit, COMMAND_LINE)
    except StatisticsError as error:
        raise CommandError(STATISTICS_REFUSALS[error.reason]) from error
    print(f"published statistics hide every count below {args.limit}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date like 2025-04-01: {text!r}") from error


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"not a time like 2026-12-02T08:15:00Z: {text!r}"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text!r}")
    return port


def _workers(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 32):
        raise argparse.ArgumentTypeError(f"workers is a number from 1 to 32, not {text!r}")
    return int(text)


REFUSALS = (
    SchoolError,
    StaffError,
    BackupError,
    RetentionError,
    NotADemoDatabase,
    ReplicationError,
)


def _call(fn: Callable, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except REFUSALS as error:
        raise CommandError(str(error)) from error


Commands = argparse._SubParsersAction


def _command(parent: Commands, name: str, fn: Callable, help: str) -> Parser:
    sub = parent.add_parser(name, help=help, description=help)
    sub.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"default: {DEFAULT_DB}")
    sub.set_defaults(fn=fn)
    return sub


def _group(commands: Commands, name: str, help: str) -> Commands:
    return commands.add_parser(name, help=help).add_subparsers(
        dest=f"{name}_command", required=True, parser_class=Parser
    )


def _setup_commands(commands: Commands) -> None:
    init = _command(commands, "init", cmd_init, "create the database and the signing secret")
    demo = _command(
        commands,
        "demo",
        cmd_demo,
        "add a demo city: two schools, one staff account per role (new database only)",
    )
    for command in (init, demo):
        command.add_argument(
            "--base-url",
            help="the public address tablets open, e.g. https://report.city.example (stored)",
        )
    serve = _command(commands, "serve", cmd_serve, "serve the web app with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000, help="1 to 65535 (default: 8000)")
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="server processes, 1 to 32; one per core carries the most staff (default: 1)",
    )
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-Proto/For from --forwarded-allow-ips (behind a reverse proxy)",
    )
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    serve.add_argument(
        "--replicate",
        action="store_true",
        help="run Litestream beside the server (set up with `school-admin replicate --to`)",
    )
    serve.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="text lines, or JSON lines for a log collector (default: text)",
    )


def _school_commands(commands: Commands) -> None:
    school = _group(commands, "school", "schools and their pupil links")
    add = _command(school, "add", cmd_school_add, "add a school")
    add.add_argument("name")
    add.add_argument("--kind", choices=SCHOOL_KINDS, required=True)
    _command(school, "list", cmd_school_list, "list schools")
    link = _command(school, "link", cmd_school_link, "print a school's pupil link and its QR code")
    link.add_argument("name")
    link.add_argument("--rotate", action="store_true", help="issue a new link; the old one dies")


STAFF_COMMANDS = (
    (
        "reset-2fa",
        cmd_staff_reset_two_factor,
        "reset a lost two-step login (ends the person's sessions)",
    ),
    ("disable", cmd_staff_disable, "disable an account (its sessions end at once)"),
    (
        "reset-password",
        cmd_staff_reset_password,
        "give an account a temporary password, to be changed at next login",
    ),
)


def _staff_commands(commands: Commands) -> None:
    staff = _group(commands, "staff", "staff accounts")
    add = _command(
        staff, "add", cmd_staff_add, "add a staff account (password: SCHOOL_REPORT_NEW_PASSWORD)"
    )
    add.add_argument("login")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--school", help="the school of a nurse or school_team")
    add.add_argument("--name", help="the name shown to colleagues")
    _command(staff, "list", cmd_staff_list, "list staff accounts")
    supervisor = _command(
        staff, "supervisor", cmd_staff_supervisor, "let a person approve trainees' replies"
    )
    supervisor.add_argument("login")
    supervisor.add_argument("--off", action="store_true", help="take the capability away")
    for name, fn, help in STAFF_COMMANDS:
        _command(staff, name, fn, help).add_argument("login")


def _data_commands(commands: Commands) -> None:
    backup = _command(commands, "backup", cmd_backup, "copy the database, online, to a new file")
    backup.add_argument("path", type=Path)
    restore = _command(
        commands, "restore", cmd_restore, "check a backup and replace the database with it"
    )
    restore.add_argument("path", type=Path, nargs="?", help="a backup file")
    restore.add_argument(
        "--from-replica",
        nargs="?",
        const="",
        metavar="URL",
        help="from the Litestream replica (`replicate --to`), or the one named here",
    )
    restore.add_argument(
        "--at", type=_moment, help="a point in time, like 2026-12-02T08:15:00Z (default: latest)"
    )
    replicate = _command(
        commands, "replicate", cmd_replicate, "set up continuous replication with Litestream"
    )
    replicate.add_argument(
        "--to", required=True, help="a directory, sftp://host/path or s3://bucket/path"
    )
    _command(commands, "purge", cmd_purge, "delete closed cases past the retention period")
    hold = _command(commands, "legal-hold", cmd_legal_hold, "keep a case past retention")
    hold.add_argument("report_id", type=int)
    hold.add_argument("--lift", action="store_true", help="lift the hold")


def _mail_commands(commands: Commands) -> None:
    mail = _command(
        commands, "mail-server", cmd_mail_server, "set the SMTP server for staff notifications"
    )
    mail.add_argument("host", help="an empty string turns mail off")
    mail.add_argument("--port", type=int, default=587)
    mail.add_argument("--no-starttls", action="store_true", help="plain SMTP (loopback only)")
    mail.add_argument("--user", default="", help=f"login; password from {PASSWORD_VARIABLE}")
    _command(commands, "send-mail", cmd_send_mail, "send the notification mails due now")
    _command(commands, "digest", cmd_digest, "queue today's digests, and send")


def _stats_command(commands: Commands) -> None:
    stats = _command(
        commands, "stats", cmd_stats, "write the statistics of a period as CSV or Excel"
    )
    stats.add_argument("--from", dest="start", type=_date, required=True, help="first day")
    stats.add_argument("--to", dest="end", type=_date, required=True, help="last day")
    stats.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    stats.add_argument("--school", help="one school's figures (default: the whole city)")
    view = stats.add_mutually_exclusive_group()
    view.add_argument(
        "--publish", action="store_true", help="hide small numbers (for the board or the public)"
    )
    view.add_argument(
        "--internal", action="store_true", help="with --school: the centre's own, unprotected"
    )
    stats.add_argument(
        "--caseload",
        choices=("centre", "city"),
        default="centre",
        help="the annual tables' scope without --school: the centre's own caseload (default) "
        "or every recipient in the city",
    )
    stats.add_argument("--output", type=Path, help="file to write ('-' for stdout)")
    frozen = _command(
        commands,
        "stats-publish",
        cmd_stats_publish,
        "publish (freeze) the annual tables of a period, or record a dated revision",
    )
    frozen.add_argument("--from", dest="start", type=_date, required=True, help="first day")
    frozen.add_argument("--to", dest="end", type=_date, required=True, help="last day")
    frozen.add_argument("--school", help="one school's tables (always protected)")
    frozen.add_argument("--caseload", choices=("centre", "city"), default="centre")
    frozen.add_argument("--publish", action="store_true", help="hide small numbers")
    threshold = _command(
        commands,
        "stats-threshold",
        cmd_stats_threshold,
        "set the smallest count published statistics show (default 3)",
    )
    threshold.add_argument("limit", type=int, help="a whole number from 2 to 100")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("school-report")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def build_parser() -> Parser:
    parser = Parser(prog="school-admin", description=__doc__)
    parser.add_argument("--version", action="version", version=f"school-admin {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for add_commands in (
        _setup_commands,
        _school_commands,
        _staff_commands,
        _data_commands,
        _mail_commands,
        _stats_command,
    ):
        add_commands(commands)
    return parser


# The commands that create a database; every other one refuses a path where there is none, so
# a mistyped --db is not a new, empty city that the command then works on and exits 0. A
# restore from the replica is how a new machine gets its database back.
CREATING_COMMANDS = ("init", "demo")


def _creates_database(args: argparse.Namespace) -> bool:
    from_replica = args.command == "restore" and getattr(args, "from_replica", None) is not None
    return args.command in CREATING_COMMANDS or from_replica


def _check_database_exists(args: argparse.Namespace) -> None:
    if not _creates_database(args) and not args.db.is_file():
        raise CommandError(f"no database at {args.db} (create one with: school-admin init)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(getattr(args, "log_format", "text"))
    try:
        _check_database_exists(args)
        args.fn(args)
    except (CommandError, OSError, sqlite3.Error) as error:
        print(f"school-admin: {error}", file=sys.stderr)
        return EXIT_USAGE
    return 0
