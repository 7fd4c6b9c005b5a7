"""A bounded load test on loopback: 32 clients for 30 seconds of mixed requests (a fixed cap on
their number), against a real `dakg serve`. Every answer must be right (no error, no 5xx), and the
server's memory (its process and its query workers) at the end within 10% of after warm-up."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import httpx
from helpers.server import start_server

CLIENTS = 32
SECONDS = 30.0
WARM_UP_SECONDS = 8.0
MAX_REQUESTS = 40_000
ID = "https://w3id.org/dakg/id/"
ENTITIES = (
    "initiative/mynumber-card",
    "initiative/mynaportal",
    "initiative/government-cloud",
    "agency/digital-agency",
    "pillar/digital-resilience",
    "indicator/gbizid-prime-accounts-issued",
)
GROUP_BY = (
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n) # {}"
)
CONSTRUCT = "CONSTRUCT { <{}> ?p ?o } WHERE { <{}> ?p ?o }"


def requests() -> itertools.cycle:
    """The mix: never-seen and repeated SPARQL (SELECT, GROUP BY, CONSTRUCT), REST API routes,
    entity pages and data, and the health check."""
    mix = []
    for entity in ENTITIES:
        iri = ID + entity
        mix += [
            (
                "sparql",
                f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}",
                "application/sparql-results+json",
            ),
            ("sparql", CONSTRUCT.replace("{}", iri), "text/turtle"),
            ("get", f"/doc/{entity}", "text/html"),
            ("get", f"/id/{entity}", "text/turtle"),
        ]
    mix += [
        ("sparql", GROUP_BY.replace("{}", "repeated"), "text/csv"),
        ("sparql-fresh", GROUP_BY, "application/sparql-results+json"),
        ("get", "/api/initiatives", "application/json"),
        ("get", "/api/milestones", "text/csv"),
        ("get", "/health", "application/json"),
    ]
    return itertools.cycle(mix)


def memory_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (the query workers), in KiB."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def drive(base: str, seconds: float, budget: list[int]) -> tuple[Counter, list[str]]:
    """CLIENTS concurrent clients sending the mix until the time is up or the budget is spent."""
    statuses: Counter = Counter()
    problems: list[str] = []
    mix = requests()
    fresh = itertools.count()
    stop = time.monotonic() + seconds

    async def client(number: int) -> None:
        # Each client has an address of its own, as a proxy the server trusts reports it: the
        # server shares its query workers between clients, and one address asking 32 things at
        # once is one client past its share.
        address = {"x-forwarded-for": f"192.0.2.{number + 1}"}
        async with httpx.AsyncClient(
            base_url=base, timeout=30.0, follow_redirects=True, headers=address
        ) as http:
            while time.monotonic() < stop and budget[0] > 0:
                budget[0] -= 1
                kind, target, accept = next(mix)
                headers = {"accept": accept}
                if kind == "get":
                    response = await http.get(target, headers=headers)
                else:
                    query = (
                        target.replace("{}", str(next(fresh))) if kind == "sparql-fresh" else target
                    )
                    response = await http.get(f"/sparql?query={quote(query)}", headers=headers)
                statuses[response.status_code] += 1
                if response.status_code != 200 or not response.content:
                    problems.append(
                        f"{kind} {target[:80]}: {response.status_code} {response.text[:200]}"
                    )

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return statuses, problems


def test_32_clients_for_30_seconds_no_errors_and_steady_memory() -> None:
    server = start_server({"DAKG_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        budget = [MAX_REQUESTS]
        warm_statuses, warm_problems = asyncio.run(drive(server.base, WARM_UP_SECONDS, budget))
        after_warm_up = memory_kib(server.process.pid)
        statuses, problems = asyncio.run(drive(server.base, SECONDS, budget))
        at_end = memory_kib(server.process.pid)
        assert server.process.poll() is None, server.log()
    finally:
        server.stop()
    assert warm_problems == [] and problems == [], (warm_problems + problems)[:10]
    assert set(statuses) == {200} and sum(statuses.values()) > 1000, statuses
    print(
        f"load: {dict(statuses)}; memory {after_warm_up} KiB after warm-up, {at_end} KiB at the end"
    )
    assert at_end <= after_warm_up * 1.10, (
        f"memory grew from {after_warm_up} KiB after warm-up to {at_end} KiB"
    )
