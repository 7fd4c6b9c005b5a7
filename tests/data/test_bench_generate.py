"""The synthetic graph generator of bench/: deterministic, sized, parseable, in our vocabulary, valid."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers import ROOT

DAKG = "https://w3id.org/dakg/def/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SOURCE = "http://purl.org/dc/terms/source"
INSTANCE = re.compile(r"^https://w3id\.org/dakg/id/[a-z-]+/[a-z0-9]+(-[a-z0-9]+)*$")


def load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generator = load_generator()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A generated folder of about 6,000 triples."""
    out = tmp_path_factory.mktemp("bench") / "small"
    generator.generate(out, 6_000, seed=8)
    return out


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted((folder / "data").rglob("*.ttl"))
    }


def quads(folder: Path) -> list[ox.Quad]:
    out = []
    for path in sorted((folder / "data").rglob("*.ttl")) + [folder / "ontology" / "dakg.ttl"]:
        out.extend(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    return out


def generated_quads(folder: Path) -> list[ox.Quad]:
    """The quads of the generated files only (not the copied shared ones)."""
    paths = sorted((folder / "data/ttl/initiatives").glob("*.ttl"))
    paths.append(folder / "data/ttl/syn-agencies.ttl")
    return [q for p in paths for q in ox.parse(path=str(p), format=ox.RdfFormat.TURTLE)]


def test_same_seed_same_bytes(small, tmp_path):
    again = tmp_path / "again"
    generator.generate(again, 6_000, seed=8)
    assert files_of(again) == files_of(small)
    other = tmp_path / "other"
    generator.generate(other, 6_000, seed=9)
    assert files_of(other) != files_of(small)


@pytest.mark.parametrize("size", [6_000, 20_000])
def test_size_within_ten_percent(size, tmp_path):
    manifest = generator.generate(tmp_path / "g", size, seed=8)
    counted = len(quads(tmp_path / "g"))
    assert counted == manifest["triples"]
    assert abs(counted - size) <= size * 0.1


def test_loads_as_a_project(small):
    from dakg.store.dataset import Dataset

    dataset = Dataset.load(small)
    assert dataset.triples == len(quads(small))
    assert (small / "queries").is_dir() and (small / "ontology" / "dakg.ttl").is_file()


def test_only_terms_the_ontology_defines(small):
    project = quads(ROOT)
    defined = {
        q.subject.value
        for q in ox.parse(path=str(ROOT / "ontology/dakg.ttl"), format=ox.RdfFormat.TURTLE)
        if q.predicate.value == RDF_TYPE and isinstance(q.subject, ox.NamedNode)
    }
    # Terms of other vocabularies: only those the real data or the ontology already use.
    known = {q.predicate.value for q in project} | {
        q.object.value for q in project if q.predicate.value == RDF_TYPE
    }
    for q in generated_quads(small):
        terms = [q.predicate.value]
        if q.predicate.value == RDF_TYPE:
            terms.append(q.object.value)
        for term in terms:
            if term.startswith(DAKG):
                assert term in defined, f"{term} is not defined in ontology/dakg.ttl"
            else:
                assert term in known, f"{term} is used nowhere in the project's own data"


def test_iris_labels_and_sources(small):
    labels: dict[str, list[str]] = {}
    typed: set[str] = set()
    sourced: set[str] = set()
    for q in generated_quads(small):
        subject = q.subject.value
        assert INSTANCE.match(subject), subject
        if q.predicate.value == LABEL:
            labels.setdefault(subject, []).append(q.object.language)
        elif q.predicate.value == RDF_TYPE:
            typed.add(subject)
        elif q.predicate.value == SOURCE:
            sourced.add(subject)
    for subject in typed:
        assert sorted(labels.get(subject, [])) == ["en", "ja"], subject
        assert subject in sourced, f"{subject} has no dcterms:source"


def test_milestone_dates_follow_the_rules(small):
    """During FY N: N-04-01 .. N+1-03-31; by the end of FY N: latest N+1-03-31 and no earliest."""
    text = "\n".join(p.read_text() for p in (small / "data/ttl/initiatives").glob("*.ttl"))
    for block in text.split("\n\n"):
        fy = re.search(r"dakg:referencePeriod fiscalyear:(\d{4})", block)
        qualifier = re.search(r"dakg:dateQualifier datequalifier:([a-z-]+)", block)
        if not fy or not qualifier or "a dakg:Milestone" not in block:
            continue
        year = int(fy[1])
        if qualifier[1] == "during":
            assert f'earliestDate "{year}-04-01"' in block
            assert f'latestDate "{year + 1}-03-31"' in block
        if qualifier[1] == "by-end-of":
            assert "earliestDate" not in block
            assert f'latestDate "{year + 1}-03-31"' in block


def test_small_graph_conforms_to_the_shapes(small):
    dakg = shutil.which("dakg") or str(Path(sys.executable).parent / "dakg")
    done = subprocess.run(
        [dakg, "validate", str(small / "data" / "ttl")],
        capture_output=True,
        text=True,
        env={**os.environ, "DAKG_ROOT": str(small)},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 violations, 0 warnings" in done.stdout, done.stdout[-3000:]
