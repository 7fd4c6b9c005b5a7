"""The project holds everything it reads, and an installed `dakg` works away from the checkout.

The wheel is built from the checkout, installed into a virtual environment of its own and run from
an empty folder with no DAKG_ROOT: every command must answer as the checkout's does, from what the
package ships (importlib.resources), never from the checkout beside it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
import rdflib
from helpers import ROOT
from rdflib.compare import isomorphic

# A path that climbs out of the folder it is written in: `../x`, `../../x`, ...
CLIMB = re.compile(r"(?<![\w.])((?:\.\./)+)[A-Za-z_][\w.-]*")
VENDORED = ("service/web/static/yasgui", "tests/vendor")
# The places outside the checkout the project once read from (written in parts, so that this
# file does not name them itself).
OUTSIDE_NAMES = ("/".join(("..", "sha" + "red")), "DESIGN" + ".md", "/wo" + "rk/")


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def test_no_tracked_file_names_a_path_outside_the_checkout() -> None:
    """Links and texts alike: every `../` path, read from the file's own folder or from the top
    of the checkout, stays inside it, and no file names the old places outside it."""
    found: list[str] = []
    for path in tracked_files():
        if path.is_symlink():
            target = (path.parent / os.readlink(path)).resolve()
            if not target.is_relative_to(ROOT):
                found.append(f"{path.relative_to(ROOT)} links to {target}")
            continue
        if path == Path(__file__) or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        # (a vendored bundle is another project's text: YASGUI's prefix list has a .../work/ IRI)
        vendored = any(path.is_relative_to(ROOT / folder) for folder in VENDORED)
        for name in () if vendored else OUTSIDE_NAMES:
            if name in text:
                found.append(f"{path.relative_to(ROOT)} names {name}")
        for match in CLIMB.finditer(text):
            ups = match.group(1).count("../")
            inside = [
                base for base in (path.parent, ROOT) if len(base.relative_to(ROOT).parts) >= ups
            ]
            if not inside:
                found.append(f"{path.relative_to(ROOT)} names {match.group(0)}")
    assert not found, "\n".join(found)


def test_the_report_text_is_in_the_project() -> None:
    source = ROOT / "source"
    assert (
        source / "digital-agency-activity-report-2021-09-2022-08.ja.txt"
    ).stat().st_size > 40_000
    terms = (source / "README.md").read_text(encoding="utf-8")
    assert "公共データ利用規約" in terms and "https://www.digital.go.jp/copyright-policy" in terms


# ---------------------------------------------------------------- the installed package


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtual environment holding only the built wheel (its
    dependencies are this environment's, reached through a path file, not the checkout)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(work / "dist"), str(ROOT)],
        check=True, capture_output=True, cwd=work,
    )  # fmt: skip
    wheel = next((work / "dist").glob("dakg-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies, from this environment; a plain path (not a site folder), so the editable
    # install's own path hook there is never run.
    (Path(site) / "dakg-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def away_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAKG_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_both(
    installed: Path, tmp_path: Path, *args: str
) -> tuple[subprocess.CompletedProcess, ...]:
    """A command run by the installed package away from the checkout, and by the checkout's own."""
    away = subprocess.run(
        [str(installed / "dakg"), *args], cwd=tmp_path, env=away_env(),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    here = subprocess.run(
        [str(Path(sys.executable).parent / "dakg"), *args], cwd=ROOT, env=away_env(),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return away, here


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import dakg, dakg.packaged as p; print(dakg.__file__);"
         " print(p.project_root() / 'ontology' / 'dakg.ttl')"],
        cwd=tmp_path, env=away_env(), capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(not Path(p).resolve().is_relative_to(ROOT) for p in where), where
    assert Path(where[1]).is_file()
    module = subprocess.run(
        [str(installed / "python"), "-m", "dakg", "--help"], cwd=tmp_path, env=away_env(),
        capture_output=True, text=True,
    )  # fmt: skip
    assert module.returncode == 0 and "validate" in module.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("query", "initiatives-by-pillar", "--param", "pillar=digital-resilience", "--param", "lang=en", "--format", "json"),
        ("query", "due-in-fiscal-year", "--param", "fiscal_year=2022", "--format", "csv"),
        ("validate", "--format", "turtle"),
    ],
    ids=["query-json", "query-csv", "validate"],
)  # fmt: skip
def test_installed_commands_answer_as_the_checkout_does(installed, tmp_path, args) -> None:
    away, here = run_both(installed, tmp_path, *args)
    assert away.returncode == here.returncode == 0, away.stderr
    assert away.stdout.strip()
    if args[0] == "validate":  # the report's blank nodes are labelled anew in every run
        reports = [rdflib.Graph().parse(data=run.stdout, format="turtle") for run in (away, here)]
        assert len(reports[0]) > 10 and isomorphic(*reports)
    else:
        assert away.stdout == here.stdout


def test_installed_load_fills_an_on_disk_store(installed: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    done = subprocess.run(
        [str(installed / "dakg"), "load", "--to", f"oxigraph:{store}"], cwd=tmp_path,
        env=away_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    args = ("query", "agencies", "--format", "json")
    on_disk = subprocess.run(
        [str(installed / "dakg"), *args, "--store", f"oxigraph:{store}"], cwd=tmp_path,
        env=away_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    _, here = run_both(installed, tmp_path, *args)
    assert on_disk.returncode == 0, on_disk.stderr
    assert json.loads(on_disk.stdout) == json.loads(here.stdout) != []


def test_installed_serve_answers(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [str(installed / "dakg"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path, env={**away_env(), "DAKG_WORKERS": "1", "DAKG_QUERY_PROCESSES": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5) as answer:
                    health = json.load(answer)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "dakg serve did not answer in 60 s"
                time.sleep(0.3)
        from dakg.store.dataset import Dataset

        assert health["status"] == "ok"
        assert health["triples"] == Dataset.load(ROOT).triples
        request = urllib.request.Request(
            f"{base}/api/initiatives?lang=en", headers={"accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            rows = json.load(answer)
        assert len(rows) == 19
        with urllib.request.urlopen(f"{base}/", timeout=30) as answer:
            assert "マイナンバーカード" in answer.read().decode()
        # the query page and everything it loads (YASGUI's files are package data)
        page = urllib.request.Request(f"{base}/sparql", headers={"accept": "text/html"})
        with urllib.request.urlopen(page, timeout=30) as answer:
            assert "/static/yasgui/yasgui.min.js" in answer.read().decode()
        for name in ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css", "sparql.js", "sparql.css"):
            with urllib.request.urlopen(f"{base}/static/{name}", timeout=30) as answer:
                assert len(answer.read()) > 1000, name
    finally:
        server.terminate()
        server.wait(timeout=30)
