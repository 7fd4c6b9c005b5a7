"""Validation: `dakg validate` against pySHACL called directly, and pyshacl-turbo as a fast path.

Each run is a fresh process timed from start to exit (parsing included), on a scratch copy of the
data outside the checkout: ontology/ and data/ copied, shapes/ and queries/ linked, committed to a
throw-away git repository so that `--changed-since HEAD` has a revision to compare with, then one
entity changed (one milestone's wording in one initiative file).

- `dakg validate`: full, and `--changed-since HEAD` after the change;
- `pyshacl`: pyshacl.validate(data + ontology, shacl_graph=shapes), the way a user calls it;
- `pyshacl-turbo`: the same call through pyshacl_turbo (a Rust engine with pySHACL's interface).

    python bench/validbench.py child ENGINE ROOT   # one direct validation; prints a JSON line
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, BIN, ROOT, Table, median, num, run_child, verdict  # noqa: E402
from datasets import Data  # noqa: E402

SUMMARY = re.compile(r"(\d+) violations?, (\d+) warnings?, (\d+) infos?")
SH = "http://www.w3.org/ns/shacl#"


def child(engine: str, root: Path) -> dict:
    """Validate with pySHACL or pyshacl-turbo in this process."""
    import glob

    import rdflib

    module = __import__("pyshacl" if engine == "pyshacl" else "pyshacl_turbo")
    start = time.perf_counter()
    data = rdflib.Graph()
    files = [root / "ontology/dakg.ttl"] + sorted(
        Path(p) for p in glob.glob(str(root / "data/ttl/**/*.ttl"), recursive=True)
    )
    for path in files:
        data.parse(path, format="turtle")
    shapes = rdflib.Graph()
    for path in sorted((root / "shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    parsed = time.perf_counter()
    conforms, report, _ = module.validate(data, shacl_graph=shapes)
    done = time.perf_counter()
    counts = {"violations": 0, "warnings": 0, "infos": 0}
    names = {"Violation": "violations", "Warning": "warnings", "Info": "infos"}
    for severity in report.objects(None, rdflib.URIRef(SH + "resultSeverity")):
        counts[names.get(str(severity).removeprefix(SH), "infos")] += 1
    return {
        "conforms": bool(conforms),
        "results": sum(counts.values()),
        **counts,
        "parse_s": parsed - start,
        "validate_s": done - parsed,
    }


def scratch_copy(data: Data) -> Path:
    """A committed copy of the data in a temporary folder (never inside the checkout)."""
    folder = Path(tempfile.mkdtemp(prefix="dakg-bench-validate-"))
    shutil.copytree(data.root / "ontology", folder / "ontology")
    shutil.copytree(data.root / "data" / "ttl", folder / "data" / "ttl")
    for name in ("shapes", "queries"):
        (folder / name).symlink_to((ROOT / name).resolve(), target_is_directory=True)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "benchmark base", "--no-gpg-sign")
    return folder


def git(folder: Path, *args: str) -> None:
    identity = ["-c", "user.name=dakg bench", "-c", "user.email=bench@localhost"]
    subprocess.run(["git", *identity, *args], cwd=folder, check=True, capture_output=True)


def change_one_entity(folder: Path) -> Path:
    """Change one milestone's wording in the middle initiative file; returns the file."""
    files = sorted((folder / "data/ttl/initiatives").glob("*.ttl"))
    path = files[len(files) // 2]
    text = path.read_text(encoding="utf-8")
    changed = text.replace('dakg:wording "', 'dakg:wording "（改）', 1)
    if changed == text:
        raise RuntimeError(f"no dakg:wording to change in {path}")
    path.write_text(changed, encoding="utf-8")
    return path


def dakg_validate(folder: Path, timeout: float, changed: bool) -> dict:
    """`dakg validate` in a fresh process; seconds from start to exit, and its summary."""
    args = [str(BIN / "dakg"), "validate", str(folder / "data/ttl")]
    if changed:
        args += ["--changed-since", "HEAD"]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "DAKG_ROOT": str(folder)},
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "seconds": timeout, "timeout": True}
    seconds = time.perf_counter() - start
    match = SUMMARY.search(done.stdout)
    if done.returncode not in (0, 1) or not match:
        tail = (done.stderr or done.stdout).strip().splitlines()[-2:]
        return {"error": f"exit {done.returncode}: {' / '.join(tail)}", "seconds": seconds}
    violations, warnings, infos = (int(x) for x in match.groups())
    return {
        "seconds": seconds,
        "conforms": violations + warnings + infos == 0,
        "results": violations + warnings + infos,
        "violations": violations,
        "warnings": warnings,
        "infos": infos,
    }


def direct(engine: str, folder: Path, timeout: float) -> dict:
    """pySHACL or pyshacl-turbo in a fresh process; seconds from start to exit."""
    start = time.perf_counter()
    result = run_child([str(BENCH / "validbench.py"), "child", engine, str(folder)], timeout)
    return {**result, "seconds": time.perf_counter() - start}


def run_size(
    data: Data, rounds: int, timeouts: dict[str, float], log=print, with_pyshacl: bool = True
) -> dict:
    """Every validator on one dataset; medians over rounds (a timed-out engine runs once)."""
    folder = scratch_copy(data)
    try:
        out: dict[str, dict] = {"pyshacl": {"error": "not run at this size", "skipped": True}}
        for name in ("dakg", "pyshacl", "pyshacl-turbo"):
            if name == "pyshacl" and not with_pyshacl:
                continue
            log(f"validate {data.label}: {name} full")
            out[name] = repeat(
                lambda n=name: (
                    dakg_validate(folder, timeouts["dakg"], False)
                    if n == "dakg"
                    else direct(n, folder, timeouts[n])
                ),
                rounds,
            )
        change_one_entity(folder)
        log(f"validate {data.label}: dakg --changed-since (one entity changed)")
        out["dakg-changed"] = repeat(lambda: dakg_validate(folder, timeouts["dakg"], True), rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"size": data.label, "triples": data.triples, "engines": out}


def repeat(fn, rounds: int) -> dict:
    runs = []
    for _ in range(rounds):
        result = fn()
        runs.append(result)
        if "error" in result:
            break
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    return {**ok[-1], "seconds": median([r["seconds"] for r in ok]), "rounds": len(ok)}


def counts(result: dict) -> str:
    if "violations" not in result:
        return "–"
    return f"{result['violations']} / {result['warnings']} / {result['infos']}"


def cell(result: dict) -> str:
    if result.get("timeout"):
        return f"> {result['seconds']:.0f} (timed out)"
    if "error" in result:
        return result["error"]
    return num(result["seconds"], 2)


def table(results: list[dict]) -> Table:
    rows = []
    for result in results:
        engines = result["engines"]
        full = engines["dakg"]
        changed = engines["dakg-changed"]
        pyshacl = engines["pyshacl"]
        for name in ("dakg", "dakg-changed", "pyshacl", "pyshacl-turbo"):
            r = engines[name]
            rows.append(
                (
                    result["size"],
                    f"{result['triples']:,}",
                    {"dakg-changed": "dakg validate --changed-since (1 entity)"}.get(
                        name, "dakg validate" if name == "dakg" else name
                    ),
                    cell(r),
                    "–" if "error" in r else ("yes" if r["conforms"] else "no"),
                    counts(r),
                    f"{num(r['parse_s'], 2)} / {num(r['validate_s'], 2)}" if "parse_s" in r else "",
                    target(result["size"], name, r, full, changed, pyshacl),
                )
            )
    return Table(
        "Validation (seconds from process start to exit, parsing included)",
        (
            "data",
            "triples",
            "validator",
            "seconds",
            "conforms",
            "violations / warnings / infos",
            "of which parsing / validating s",
            "target",
        ),
        rows,
        (
            "'conforms' is SHACL's: no result of any severity (`dakg validate` exits 0 on warnings "
            "alone). dakg validate also runs queries/checks/; pySHACL and pyshacl-turbo are called "
            "with the same data, ontology and shapes (inference none). `--changed-since` reports "
            "only the results of the changed file's nodes and their neighbours.",
        ),
    )


def target(size: str, name: str, r: dict, full: dict, changed: dict, pyshacl: dict) -> str:
    if "error" in r and not r.get("timeout"):
        return ""
    if size == "real" and name == "dakg":
        return f"< 3 s: {verdict(r['seconds'] < 3)}"
    if size == "100k" and name == "dakg":
        slower = pyshacl.get("seconds", float("inf"))
        return f"≤ pySHACL: {verdict(r['seconds'] <= slower)}"
    if name == "dakg-changed" and "error" not in full:
        speed = full["seconds"] / r["seconds"]
        return f"≥ 10× faster than full: {speed:.1f}×, {verdict(speed >= 10)}"
    return ""


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3]))))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
