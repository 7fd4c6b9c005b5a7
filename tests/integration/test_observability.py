"""Operators see every request: /metrics in the Prometheus format and a JSON access-log line each."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from dakg.settings import Settings
from dakg.web.app import create_app
from fastapi.testclient import TestClient
from helpers import ROOT
from helpers.server import free_port


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    match = re.search(pattern, text, re.M)
    assert match, f"{name} {labels} not in metrics"
    return float(match.group(1))


def test_metrics_count_requests_by_route_latency_and_cache_hits(service_store) -> None:
    app = create_app(Settings.from_env(root=ROOT), service_store.dataset())
    with TestClient(app) as client:  # the app's lifespan, as a server runs it
        query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
        for _ in range(3):
            assert client.get("/sparql", params=query).status_code == 200
        client.get("/id/initiative/mynumber-card", follow_redirects=False)
        client.get("/id/initiative/no-such-thing-" + "x" * 20, follow_redirects=False)
        text = client.get("/metrics").text
    assert metric(text, "dakg_requests_total", route="/sparql", status="200") == 3
    assert metric(text, "dakg_requests_total", route="/id/{rest:path}", status="303") == 1
    assert metric(text, "dakg_requests_total", route="/id/{rest:path}", status="404") == 1
    assert "no-such-thing" not in text  # routes are counted by template, never by raw path
    assert metric(text, "dakg_request_duration_seconds_count", route="/sparql") == 3
    assert metric(text, "dakg_request_duration_seconds_bucket", route="/sparql", le="+Inf") == 3
    assert metric(text, "dakg_cache_hits_total") == 2
    assert metric(text, "dakg_cache_misses_total") == 1
    assert metric(text, "dakg_timeouts_total") == 0


def test_the_access_log_is_one_json_line_per_request(service_store) -> None:
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "dakg"),
        "serve",
        "--port",
        str(port),
        "--access-log",
    ]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **service_store.shared.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "dakg serve did not start"
            time.sleep(0.2)
        httpx.get(
            f"http://127.0.0.1:{port}/api/milestones", params={"fiscal_year": "2022"}, timeout=10
        )
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    api = [line for line in lines if line["route"] == "/api/milestones"]
    assert len(api) == 1
    entry = api[0]
    assert entry["status"] == 200 and entry["method"] == "GET"
    assert entry["bytes"] > 1000 and entry["duration_ms"] > 0
    assert set(entry) == {"time", "method", "route", "status", "duration_ms", "bytes"}
