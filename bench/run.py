"""`make bench`: does one small server carry a whole city?

Starts the real server (`school-admin serve`: uvicorn on loopback, a fresh database) and, in the
same run, the bare baseline app (`bench/baseline.py`); drives both from separate processes with
wrk; times the staff pages and the statistics over a generated year of a million reports; weighs
the pupil's first page load in Chromium; prints a table and writes bench/results.json.

    python -m bench.run                                   # the full run, about 5 minutes
    python -m bench.run --seconds 2 --reports 20000       # a quick try of the tooling
"""

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import httpx2 as httpx
import pyotp

from bench import danger
from bench.generate import GeneratedCity, generate_city
from school_report import statistics, two_factor
from school_report.annual_tables import annual_report
from school_report.db import connect
from school_report.settings import get_setting, set_setting
from school_report.staff import find_staff
from school_report.topics import active_topics

BENCH = Path(__file__).parent
ROOT = BENCH.parent
RESULTS = BENCH / "results.json"
CPUS = os.cpu_count() or 1
# wrk runs one thread pinned to the last core; the servers are not pinned (they may use every
# core, the last one shared with wrk), so project and baseline meet the same conditions.
LOAD_CPU = str(CPUS - 1)
CLASS_SIZE = 30
CLASS_WINDOW_SECONDS = 10
KNOWN_CODES = 40
FISCAL_YEAR = 2025


@dataclass(frozen=True)
class Load:
    """What one load run measured."""

    requests: int
    seconds: float
    failed: int  # error statuses, refused or timed-out connections
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def ok(self) -> bool:
        return self.requests > 0 and not self.failed

    def describe(self) -> str:
        failed = f", {self.failed} failed" if self.failed else ""
        if not self.requests:
            return f"no answer within {self.seconds:.0f} s{failed}"
        return f"{self.rate:,.0f}/s, p99 {self.p99_ms:,.0f} ms{failed}"


@dataclass
class Figure:
    figure: str
    target: str
    project: str
    baseline: str = "—"
    met: bool | None = None


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    process: subprocess.Popen

    def pids(self) -> list[int]:
        """The server's process and its worker processes (`serve --workers`)."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            children = Path(f"/proc/{pid}/task/{pid}/children")
            if children.exists():
                todo += [int(child) for child in children.read_text().split()]
        return found

    def cpu_seconds(self) -> float:
        ticks = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory of all the server's processes together."""
        kib = 0
        for pid in self.pids():
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            kib += int(next(line.split()[1] for line in status if line.startswith("VmRSS:")))
        return kib / 1024


RUNNING: list[Server] = []


def settle() -> None:
    """Wait until every running server has answered what an earlier run left in flight, so
    each measurement starts on idle servers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        before = [server.cpu_seconds() for server in RUNNING]
        time.sleep(0.5)
        if all(s.cpu_seconds() - b < 0.05 for s, b in zip(RUNNING, before, strict=True)):
            return


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(name: str, argv: list[str], env: dict[str, str], port: int, logs: Path):
    """A server process, stopped when the block ends."""
    with (logs / f"{name}.log").open("w") as log:
        process = subprocess.Popen(
            argv, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(name, f"http://127.0.0.1:{port}", process)
    try:
        _wait_for_port(port, process)
        RUNNING.append(server)
        yield server
    finally:
        if server in RUNNING:
            RUNNING.remove(server)
        process.terminate()  # uvicorn first finishes what it is answering; not for ever
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited at start (see {process.args})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not listen in time")


def project_server(db_path: Path, secret: str, logs: Path):
    """`school-admin serve`, exactly as the README tells an installation to run it: one server
    process per core."""
    port = _free_port()
    argv = [sys.executable, "-m", "school_admin", "serve", "--db", str(db_path)]
    argv += ["--workers", str(CPUS)]
    env = {"SCHOOL_REPORT_SECRET": secret, "SCHOOL_REPORT_BASE_URL": f"http://127.0.0.1:{port}"}
    return serve("project", [*argv, "--port", str(port)], env, port, logs)


def baseline_server(db_path: Path, logs: Path):
    """The bare app under the same uvicorn settings as `school-admin serve --workers`."""
    port = _free_port()
    argv = [sys.executable, "-m", "uvicorn", "bench.baseline:app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--no-access-log", "--no-server-header"]
    argv += ["--workers", str(CPUS)]  # as many processes as the project's
    return serve("baseline", argv, {"BASELINE_DB": str(db_path)}, port, logs)


def wrk(url: str, connections: int, seconds: int, *, forms: Path | None = None, cookie=None):
    """One wrk run (one thread, pinned to LOAD_CPU); forms are posted, otherwise GET."""
    settle()
    command = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    command += ["--timeout", "10s", "-s", str(BENCH / "wrk.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    if forms:
        command += ["--", url.split("/p/")[0], str(forms)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    output = done.stdout
    summary = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    return Load(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        failed=summary["status_errors"] + summary["socket_errors"],
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
    )


def warm_and_measure(url: str, connections: int, seconds: int, **options) -> Load:
    """A short unmeasured run first, so thread pools, connections and caches are warm."""
    wrk(url, connections, min(2, seconds), **options)
    return wrk(url, connections, seconds, **options)


def sends_stored(url: str, db_path: Path, connections: int, seconds: int, forms: Path) -> Load:
    """A submission run, whose answered sends must all be in the database: a send answered but
    not stored counts as failed."""
    wrk(url, connections, min(2, seconds), forms=forms)
    before = _report_count(db_path)
    load = wrk(url, connections, seconds, forms=forms)
    missing = max(0, load.requests - load.failed - (_report_count(db_path) - before))
    return replace(load, failed=load.failed + missing)


def _report_count(db_path: Path) -> int:
    return connect(db_path).execute("SELECT count(*) FROM reports").fetchone()[0]


def ratio_figure(name: str, project: Load, baseline: Load) -> Figure:
    progress(f"{name}: {project.describe()} / {baseline.describe()}")
    share = project.rate / baseline.rate if baseline.rate else 0.0
    return Figure(
        name,
        "≥ 70 % of baseline; p99 reported",
        f"{project.describe()} ({share:.0%})",
        baseline.describe(),
        share >= 0.7 and project.ok,
    )


# --- the pupil's side ---------------------------------------------------------------------


def submission_form(db_path: Path) -> dict[str, str]:
    """The last step of a report as the pupil's page posts it (see web/pupil.py)."""
    topic = next(t for t in active_topics(connect(db_path)) if t.slug == "feelings")
    body = "よる ねむれません。ともだちに いえなくて こまっています。"
    return {"step": "send", "topic": str(topic.id), "recipient": "nurse", "body": body}


def write_forms(path: Path, forms: list[str]) -> Path:
    path.write_text("\n".join(forms) + "\n")
    return path


def lift_submission_limits(db_path: Path) -> None:
    """The city's limit on new reports (a guard against prank scripts) would measure refusals,
    not throughput; the benchmark lifts it, as a city could."""
    db = connect(db_path)
    try:
        limits = get_setting(db, "submission_limits")
    except KeyError:
        return
    set_setting(db, "submission_limits", {k: {**v, "count": 10**9} for k, v in limits.items()})


def class_sends(url: str, form: dict[str, str], offsets: list[float]) -> Load:
    """One report per pupil, each sent at its offset (seconds) from now; separate connections."""
    settle()
    began = time.monotonic()

    def pupil(offset: float) -> tuple[bool, float]:
        time.sleep(max(0.0, began + offset - time.monotonic()))
        sent = time.perf_counter()
        response = httpx.post(
            url,
            data={**form, "submission_key": secrets.token_urlsafe(16)},
            headers={"Origin": url.split("/p/")[0]},
            timeout=30,
        )
        return response.status_code == 200, time.perf_counter() - sent

    with ThreadPoolExecutor(len(offsets)) as pool:
        outcomes = list(pool.map(pupil, offsets))
    latencies = sorted(seconds * 1000 for _, seconds in outcomes)
    return Load(
        requests=len(outcomes),
        seconds=time.monotonic() - began,
        failed=sum(not ok for ok, _ in outcomes),
        p50_ms=latencies[len(latencies) // 2],
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    )


def class_figure(name: str, project: Load, baseline: Load, limit_ms: int = 1000) -> Figure:
    progress(f"{name}: {project.describe()} / {baseline.describe()}")

    def describe(load: Load) -> str:
        return f"{load.requests - load.failed}/{load.requests} sent, p99 {load.p99_ms:,.0f} ms"

    met = project.ok and project.p99_ms < limit_ms
    target = f"all succeed, p99 < {limit_ms:,} ms"
    return Figure(name, target, describe(project), describe(baseline), met)


def page_weight(url: str) -> dict:
    """Bytes on the wire (compressed, headers included) for the first load of a pupil page with
    all its assets, in Chromium with an empty cache; and every request to another host."""
    from playwright.sync_api import sync_playwright

    origin = url.split("/p/")[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="ja-JP", viewport={"width": 1024, "height": 768})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        urls: dict[str, str] = {}
        sizes: dict[str, int] = {}
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: urls.update({e["requestId"]: e["request"]["url"]}),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.update({e["requestId"]: e["encodedDataLength"]}),
        )
        page.goto(url, wait_until="networkidle")
        browser.close()
    elsewhere = [u for u in urls.values() if not u.startswith((origin, "data:"))]
    return {"bytes": sum(sizes.values()), "requests": len(urls), "other_hosts": elsewhere}


def pupil_figures(home: Path, secret: str, city: GeneratedCity, seconds: int) -> list[Figure]:
    db_path = home / "pupils.db"
    baseline_db = home / "baseline.db"
    with sqlite3.connect(db_path) as source, sqlite3.connect(baseline_db) as copy:
        source.backup(copy)
    for path in (db_path, baseline_db):
        lift_submission_limits(path)
    token = city.entry_tokens[city.schools[0].id]
    form = submission_form(db_path)
    sends = write_forms(home / "send.forms", [urlencode(form) + "&submission_key={key}"])
    opens = write_forms(
        home / "open.forms", [urlencode({"step": "open", "code": c}) for c in city.known_codes]
    )
    rng = random.Random(1)
    spread = sorted(rng.uniform(0, CLASS_WINDOW_SECONDS) for _ in range(CLASS_SIZE))
    figures = []
    with (
        project_server(db_path, secret, home) as project,
        baseline_server(baseline_db, home) as baseline,
    ):
        urls = (f"{project.url}/p/{token}", f"{baseline.url}/p/{token}")
        for connections in (10, 50):
            measured = [
                sends_stored(u, path, connections, seconds, sends)
                for u, path in zip(urls, (db_path, baseline_db), strict=True)
            ]
            name = f"pupil report submission (with code hashing), {connections} concurrent"
            figures.append(ratio_figure(name, *measured))
        measured = [class_sends(u, form, spread) for u in urls]
        figures.append(class_figure("a 30-pupil class sending within 10 s", *measured))
        measured = [class_sends(u, form, [0.0] * CLASS_SIZE) for u in urls]
        # Codes come from each process's pool, hashed ahead (school_report/code_pool.py).
        figures.append(class_figure("the same class sending all at once", *measured, 300))
        measured = [warm_and_measure(u, 20, seconds, forms=opens) for u in urls]
        figures.append(
            ratio_figure("pupil thread view with the return code, 20 concurrent", *measured)
        )
        weight = page_weight(urls[0])
        figures.append(
            Figure(
                "pupil page, first load: bytes transferred, all assets, compressed",
                "< 60 KB, zero requests to other hosts",
                f"{weight['bytes'] / 1024:.1f} KB in {weight['requests']} requests, "
                f"{len(weight['other_hosts'])} to other hosts",
                met=weight["bytes"] < 60 * 1024 and not weight["other_hosts"],
            )
        )
        figures.append(rss_figure("server memory (RSS) after the pupil runs", project, baseline))
        figures.append(dictionary_figure(project))
    return figures


def detector_figures() -> list[Figure]:
    """What reading one pupil message for danger costs, and the analyser's memory."""
    costs = danger.detector_costs()
    memory = danger.analyser_memory()
    return [
        Figure(
            "danger detection, a 1,000-character message (p99; CPU time of the thread)",
            "p99 < 5 ms",
            f"p50 {costs['wall_p50']:.1f} ms, p99 {costs['wall_p99']:.1f} ms "
            f"(CPU p50 {costs['cpu_p50']:.1f} ms, p99 {costs['cpu_p99']:.1f} ms)",
            met=costs["cpu_p99"] < 5,
        ),
        Figure(
            "one server process: memory the analyser adds once it has read a message",
            "small",
            f"+{memory['rss_added']:.0f} MB RSS (of {memory['rss_before']:.0f} MB before)",
        ),
    ]


def dictionary_figure(project: Server) -> Figure:
    """Whether the workers share the dictionary: its pages counted per worker and once."""
    pages = danger.dictionary_pages(project.pids())
    return Figure(
        "analyser dictionary in the workers (mmap): RSS summed, PSS",
        "shared",
        f"{pages['rss']:.0f} MB summed, {pages['pss']:.0f} MB counted once "
        f"(server PSS {danger.total_pss(project.pids()):.0f} MB)",
        met=pages["pss"] < pages["rss"] or pages["rss"] == 0,
    )


def rss_figure(name: str, project: Server, baseline: Server | None) -> Figure:
    rss = project.rss_mb()
    other = f"{baseline.rss_mb():.0f} MB" if baseline else "—"
    return Figure(name, "< 200 MB", f"{rss:.0f} MB", other, rss < 200)


# --- the staff side, over a year of a million reports --------------------------------------


def staff_cookie(server: Server, db_path: Path, login: str) -> str:
    """Log in as a browser does; where two-factor is required, enrol first and spend a
    recovery code (a time code just used at enrolment cannot be used again)."""
    codes = _enrol_two_factor(db_path, login)
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=120) as client:
        form = {"login": login, "password": GeneratedCity.password}
        page = client.post("/staff/login", data={**form, **_form_token(client, "/staff/login")})
        if codes and page.headers.get("location", "").startswith("/staff/login/code"):
            code = {"code": codes[0], **_form_token(client, "/staff/login/code")}
            page = client.post("/staff/login/code", data=code)
        cookie = client.cookies.get("staff_session")
        inbox = client.get("/staff")
        if not cookie or inbox.status_code != 200:
            raise RuntimeError(f"could not log in as {login}: {inbox.status_code}")
    return f"staff_session={cookie}"


def _form_token(client: httpx.Client, page: str) -> dict[str, str]:
    """The CSRF token field of a page's forms, as a browser gets it with the page's cookie."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    return {"csrf_token": found.group(1)} if found else {}


def _enrol_two_factor(db_path: Path, login: str) -> list[str]:
    """Set up the account's two-step login as its owner would, for the staff runs."""
    db = connect(db_path)
    staff = find_staff(db, login)
    if not two_factor.is_required(db, staff):
        return []
    secret = two_factor.pending_secret(db, staff)
    return two_factor.confirm_enrolment(db, staff, pyotp.TOTP(secret).now())


def statistics_figure(db_path: Path, reports: int) -> Figure:
    """`school_report.statistics.figures` (and `tables`, the page's layout) for the year,
    city-wide."""
    name = f"statistics for a year of {reports:,} reports (figures + tables)"
    db = connect(db_path)
    first, last = date(FISCAL_YEAR, 4, 1), date(FISCAL_YEAR + 1, 3, 31)
    statistics.figures(db, first, last)  # the first call pays for reading the file from disk
    began = time.perf_counter()
    counted = statistics.figures(db, first, last)
    took = time.perf_counter() - began
    statistics.tables(db, counted)
    laid_out = time.perf_counter() - began - took
    return Figure(name, "< 1 s", f"{took:.2f} s + {laid_out:.2f} s", met=took + laid_out < 1)


def annual_report_figure(db_path: Path, reports: int) -> Figure:
    """`school_report.annual_tables.annual_report`: the centre's annual tables for the year and
    the year before, counted by contact (m018), laid out."""
    name = f"annual report for a year of {reports:,} reports (this year and last)"
    db = connect(db_path)
    first, last = date(FISCAL_YEAR, 4, 1), date(FISCAL_YEAR + 1, 3, 31)
    annual_report(db, first, last)  # the first call pays for reading the file from disk
    began = time.perf_counter()
    annual_report(db, first, last)
    took = time.perf_counter() - began
    return Figure(name, "< 1 s", f"{took:.2f} s", met=took < 1)


def staff_figures(home: Path, secret: str, reports: int, schools: int, seconds: int):
    db_path = home / "city.db"
    progress(f"generating {reports:,} reports")
    began = time.monotonic()
    generate_city(connect(db_path), secret=secret, schools=schools, reports=reports)
    generated = time.monotonic() - began
    figures = [
        Figure(
            f"generating {reports:,} reports in {schools} schools",
            "quick",
            f"{generated:.0f} s",
        ),
        statistics_figure(db_path, reports),
        annual_report_figure(db_path, reports),
    ]
    with project_server(db_path, secret, home) as project:
        for login, name in (
            (GeneratedCity.nurse(1), "staff inbox (a school's nurse)"),
            (GeneratedCity.centre, "centre queue"),
        ):
            progress(f"{name}: logging in as {login}")
            figures.append(staff_page_figure(project, db_path, login, name, reports, seconds))
        figures.append(rss_figure("server memory (RSS) after the staff runs", project, None))
    return figures


def staff_page_figure(server, db_path: Path, login: str, name: str, reports: int, seconds: int):
    figure = Figure(f"{name}, {reports:,} reports, 10 concurrent", "p99 < 100 ms", "", met=False)
    try:
        cookie = staff_cookie(server, db_path, login)
        load = warm_and_measure(f"{server.url}/staff", 10, seconds, cookie=cookie)
    except (RuntimeError, httpx.HTTPError) as error:  # a page too slow even to log in
        figure.project = f"failed: {error!r}"
        return figure
    figure.project, figure.met = load.describe(), load.ok and load.p99_ms < 100
    progress(f"{figure.figure}: {figure.project}")
    return figure


# --- the report ------------------------------------------------------------------------------


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    return {
        "cpus": CPUS,
        "cpu_model": model,
        "memory": free[1].split()[1] if len(free) > 1 else "?",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": os.getloadavg(),
        "cores": (
            f"project and baseline: {CPUS} server processes each (--workers {CPUS}), on all "
            f"{CPUS} cores, unpinned; wrk: 1 thread pinned to core {LOAD_CPU}"
        ),
    }


_BEGAN = time.monotonic()


def progress(what: str) -> None:
    print(f"[{time.monotonic() - _BEGAN:5.0f} s] {what}", flush=True)


def table(figures: list[Figure]) -> str:
    rows = [
        "| figure | target | project | baseline | met |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        met = {True: "yes", False: "**no**", None: ""}[f.met]
        rows.append(f"| {f.figure} | {f.target} | {f.project} | {f.baseline} | {met} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument(
        "--pupils-only", action="store_true", help="only the pupils' figures (no million reports)"
    )
    args = parser.parse_args(argv)
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            parser.error(f"{tool} is missing (make bench installs wrk)")
    began = time.monotonic()
    info = machine()
    print(f"{info['cpu_model']}, {info['cpus']} cores, {info['memory']}; {info['cores']}")
    secret = secrets.token_urlsafe(32)  # one per run, for entry links and cookies
    with tempfile.TemporaryDirectory(prefix="school-report-bench-") as tmp:
        home = Path(tmp)
        city = generate_city(
            connect(home / "pupils.db"),
            secret=secret,
            schools=args.schools,
            reports=0,
            known_codes=KNOWN_CODES,
        )
        figures = detector_figures()
        figures += pupil_figures(home, secret, city, args.seconds)
        if not args.pupils_only:
            figures += staff_figures(home, secret, args.reports, args.schools, args.seconds)
    info["total_seconds"] = round(time.monotonic() - began)
    print(table(figures))
    print(f"({info['total_seconds']} s in all)")
    RESULTS.write_text(
        json.dumps(
            {"machine": info, "figures": [f.__dict__ for f in figures]},
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
