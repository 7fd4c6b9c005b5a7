"""A bounded loopback load generator: wrk when installed, else a Python client.

A workload is a SPARQL query template with two holes: `{value}` (the varying parameter, drawn in
turn from a list of URL-safe values) and `{n}` (a counter, so that no two never-seen requests have
the same text). A repeated workload sends request 0 every time.

- wrk (Debian's `wrk`): one thread, C connections, for a fixed duration (its only bound); a Lua
  script builds each request's path and prints the summary as JSON.
- Python: C threads, each with its own keep-alive connection, until a fixed request count or the
  time cap, whichever comes first.

Only 127.0.0.1 is ever a target.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from common import median, percentile

SAFE = re.compile(r"^[A-Za-z0-9._~/-]+$")
HOLES = re.compile(r"(\{value\}|\{n\})")


@dataclass(frozen=True)
class Workload:
    """What to request: GET path?query=..., with the Accept header."""

    path: str
    accept: str
    template: str
    values: tuple[str, ...]
    offset: int = 0
    vary: bool = True

    def query(self, i: int) -> str:
        k = i if self.vary else 0
        value = self.values[k % len(self.values)]
        return self.template.replace("{value}", value).replace("{n}", str(self.offset + k))

    def target(self, i: int) -> str:
        return f"{self.path}?{urllib.parse.urlencode({'query': self.query(i)})}"

    def with_offset(self, offset: int) -> Workload:
        return Workload(self.path, self.accept, self.template, self.values, offset, self.vary)


@dataclass(frozen=True)
class Result:
    """What one load run measured; latencies in seconds."""

    tool: str
    requests: int
    seconds: float
    p50: float
    p99: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def lua_script(workload: Workload) -> str:
    """A wrk script that builds the workload's requests and prints its summary as JSON."""
    for value in workload.values:
        if not SAFE.match(value):
            raise ValueError(f"value {value!r} is not URL-safe")
    pieces = [f'"{workload.path}?query="']
    for part in HOLES.split(workload.template):
        if part == "{value}":
            pieces.append("values[(k % #values) + 1]")
        elif part == "{n}":
            pieces.append(f"tostring({workload.offset} + k)")
        elif part:
            pieces.append(f'"{urllib.parse.quote(part, safe="")}"')
    values = ",\n".join(f'"{v}"' for v in workload.values)
    vary = "true" if workload.vary else "false"
    return f"""
local values = {{
{values}
}}
local i = 0
local vary = {vary}
local headers = {{["Accept"] = "{workload.accept}"}}
request = function()
  local k = 0
  if vary then k = i end
  i = i + 1
  return wrk.format("GET", {" .. ".join(pieces)}, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d, "status": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(port: int, workload: Workload, connections: int, duration_s: float) -> Result:
    """wrk for a fixed duration against 127.0.0.1:port."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(workload))
    try:
        seconds = max(1, round(duration_s))
        done = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
            + ["-s", script.name, f"http://127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    data = json.loads(lines[-1])
    return Result(
        "wrk",
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1e6,
        data["p99_us"] / 1e6,
        data["errors"] + data["status"],
    )


def run_python(
    port: int,
    workload: Workload,
    connections: int,
    count: int,
    time_cap_s: float,
    timeout: float = 30,
) -> Result:
    """C threads with keep-alive connections until `count` requests or the time cap.

    Only answered requests count (requests, latencies); failures and time-outs are errors.
    """
    lock = threading.Lock()
    state = {"next": 0, "errors": 0}
    latencies: list[float] = []
    deadline = time.perf_counter() + time_cap_s

    def take() -> int | None:
        with lock:
            if state["next"] >= count or time.perf_counter() > deadline:
                return None
            state["next"] += 1
            return state["next"] - 1

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        while (i := take()) is not None:
            start = time.perf_counter()
            try:
                conn.request("GET", workload.target(i), headers={"Accept": workload.accept})
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                ok = False
            elapsed = time.perf_counter() - start
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    state["errors"] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    return Result(
        "python",
        len(latencies),
        seconds,
        median(latencies),
        percentile(latencies, 99),
        state["errors"],
    )


def measure(
    port: int,
    workload: Workload,
    connections: int,
    duration_s: float,
    count: int,
    tool: str = "auto",
) -> Result:
    """One bounded run with wrk (when installed and not told otherwise) or the Python client."""
    if tool == "wrk" or (tool == "auto" and have_wrk()):
        return run_wrk(port, workload, connections, duration_s)
    return run_python(port, workload, connections, count, duration_s)
