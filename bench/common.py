"""What every benchmark shares: statistics, timing, child processes, the machine's description."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
PYTHON = sys.executable


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank: p99 of 100 samples is the 99th smallest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def timed_for(
    fn: Callable[[], object], min_runs: int, max_runs: int, budget_s: float
) -> list[float]:
    """Seconds per call: at least min_runs, then more until max_runs or the time budget."""
    fn()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < max_runs and (len(samples) < min_runs or time.perf_counter() < deadline):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_child(args: list[str], timeout: float, env: dict | None = None) -> dict:
    """Run a Python child that prints one JSON object as its last line; a failure is a dict too."""
    try:
        done = subprocess.run(
            [PYTHON, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "timeout": timeout}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: {' / '.join(tail)}"}
    return json.loads(lines[-1])


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb(pid: int | str = "self") -> float:
    """Resident memory now, in MB (Linux /proc)."""
    return _proc_status_kb(pid, "VmRSS") / 1024


def peak_rss_of(pid: int) -> float:
    """Peak resident memory of another process, in MB (Linux /proc VmHWM)."""
    return _proc_status_kb(pid, "VmHWM") / 1024


def _proc_status_kb(pid: int | str, key: str) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return float(match[1]) if match else float("nan")


def version_of(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def tool_version(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
    return match[1].strip() if match else "unknown"


def memory_total_gb() -> float:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return float("nan")
    match = re.search(r"^MemTotal:\s+(\d+) kB", text, re.M)
    return int(match[1]) / 1024 / 1024 if match else float("nan")


def machine() -> dict:
    """The machine and the versions every figure depends on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(memory_total_gb(), 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in load],
        "versions": {
            name: version_of(name)
            for name in (
                "dakg",
                "pyoxigraph",
                "oxigraph",
                "rdflib",
                "pyshacl",
                "pyshacl-turbo",
                "rdflib-endpoint",
                "fastapi",
                "uvicorn",
                "httpx",
            )
        },
        "wrk": tool_version(["wrk", "--version"]),
    }


@dataclass(frozen=True)
class Table:
    """A Markdown table."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    notes: tuple[str, ...] = ()

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        if self.notes:
            lines.append("")
            lines.extend(self.notes)
        return "\n".join(lines) + "\n"


def ms(seconds: float | None, digits: int = 1) -> str:
    """Seconds as milliseconds text."""
    if seconds is None or seconds != seconds:
        return "–"
    return f"{seconds * 1000:.{digits}f}"


def num(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:.2f}×" if value < 10 else f"{value:.0f}×"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")
