"""A city's IT department installs the package, not the checkout: the sdist and the wheel built
from it carry the templates, translations and static files, and `school-admin demo` and `serve`
run from a fresh virtual environment in another directory and serve every page and file.

To stay quick and offline, the fresh environment gets the wheel with `pip install --no-deps`
and reaches the third-party packages of the test environment through a `.pth` line (which runs
no editable-install hook, so the checkout itself stays out of reach); that every imported
package is declared in the wheel's metadata is checked separately, from the sources."""

import ast
import os
import re
import site
import subprocess
import sys
import tarfile
from importlib.metadata import packages_distributions
from pathlib import Path

import httpx2 as httpx
import pytest
from packaging.requirements import Requirement
from starlette.routing import Route

from school_report.db import connect
from tests.conftest import _free_port, _wait_until_healthy
from tests.support import City, log_in
from web.app import routes
from web.qr import qr_data_uri

ROOT = Path(__file__).parent.parent
PACKAGES = ("school_report", "web", "school_admin")


# pip builds and installs from local files only: no index, no configured wheel folders to scan.
PIP_OFFLINE = {
    **{k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_NO_INDEX": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
}


def run(*command, **options) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **options)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The sdist, and the wheel built from it (outside the checkout)."""
    out = tmp_path_factory.mktemp("dist")
    build = "from setuptools import build_meta; import sys; build_meta.build_sdist(sys.argv[1])"
    run(sys.executable, "-c", build, str(out), cwd=ROOT)
    (sdist,) = out.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(out / "unpacked", filter="data")
    (source,) = (out / "unpacked").iterdir()
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    run(*pip_wheel, "-w", str(out), str(source), env=PIP_OFFLINE)
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed: its bin folder."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    (purelib,) = venv.glob("lib/python*/site-packages")
    (purelib / "test-environment.pth").write_text(site.getsitepackages()[0] + "\n")
    (wheel,) = dist.glob("*.whl")
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    run(*pip, "install", "-q", "--no-deps", str(wheel), env=PIP_OFFLINE)
    return venv / "bin"


def test_the_installed_command_says_its_version_and_runs_the_installed_code(installed, tmp_path):
    assert run(installed / "school-admin", "--version").stdout.strip() == "school-admin 0.1.0"
    where = "import web, school_report; print(web.__file__); print(school_report.__file__)"
    files = run(installed / "python", "-c", where, cwd=tmp_path).stdout.split()
    assert all(file.startswith(str(installed.parent)) for file in files), files


def test_a_demo_installed_from_the_wheel_serves_every_page_and_file(installed, tmp_path):
    port = _free_port()
    address = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOL_REPORT_")}
    admin = [str(installed / "school-admin")]
    demo = run(*admin, "demo", "--base-url", address, cwd=tmp_path, env=env).stdout
    links = re.findall(r"\S+/p/\S+", demo)
    assert len(links) == 2 and all(link.startswith(f"{address}/p/") for link in links)
    server = subprocess.Popen(
        [*admin, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_healthy(address, server)
        db_path = tmp_path / "var" / "school-report.db"
        city = City(connect(db_path), (db_path.parent / "secret.key").read_text().strip())
        with httpx.Client(
            base_url=address, headers={"origin": address}, follow_redirects=True
        ) as browser:
            pupil_page = browser.get(links[0].removeprefix(address))
            assert pupil_page.status_code == 200
            served_static_files(browser, installed, pupil_page.text)
            log_in(browser, city.staff("admin"))
            for path in page_paths():
                page = browser.get(path)
                # A page for another role is refused by the error page, itself a page.
                assert page.status_code in (200, 403), (path, page.status_code)
                html = page.headers["content-type"].startswith("text/html")
                assert not html or "</html>" in page.text, path
            school_id = city.db.execute("SELECT min(id) FROM schools").fetchone()[0]
            poster = browser.get(f"/staff/admin/schools/{school_id}/poster").text
            school_link = next(link for link in links if link in poster)
            assert qr_data_uri(school_link, 10) in poster
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "Traceback" not in server.stderr.read()


def page_paths() -> list[str]:
    """Every page of the route table without a path parameter (an admin may open them all)."""
    return [
        route.path
        for route in routes
        if isinstance(route, Route)
        and "GET" in (route.methods or ())
        and "{" not in route.path
        and not route.path.startswith(("/staff/logout", "/exit", "/staff/login"))
    ]


def served_static_files(browser, installed: Path, page: str) -> None:
    """Every file the page links and every file the wheel carries answers with its bytes."""
    (static,) = installed.parent.glob("lib/python*/site-packages/web/static")
    linked = re.findall(r'"/static/([^"?]+)', page)
    assert linked
    carried = {file.relative_to(static).as_posix() for file in static.rglob("*") if file.is_file()}
    assert any(name.startswith("pictures/") for name in carried)
    for name in {*linked, *carried}:
        answer = browser.get(f"/static/{name}")
        assert answer.status_code == 200, name
        assert answer.content == (static / name).read_bytes()


def imported_packages() -> set[str]:
    """Top-level names the service's own code imports, outside the standard library."""
    names = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(PACKAGES)


def test_every_imported_package_is_declared(dist):
    (wheel,) = dist.glob("*.whl")
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("school_report-0.1.0.dist-info/METADATA").decode()
    declared = {
        Requirement(line.split(":", 1)[1]).name.lower().replace("_", "-")
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    }
    providers = packages_distributions()
    for name in imported_packages():
        distributions = {d.lower().replace("_", "-") for d in providers.get(name, [name])}
        assert distributions & declared, f"{name} is imported but not declared"
    assert "LICENSE" in {Path(n).name for n in zipfile.ZipFile(wheel).namelist()}
