"""The graphs the benchmarks run on: the real data, and generated ones cached under build/bench/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from common import ROOT
from generate import fingerprint, generate, parse_size

CACHE = ROOT / "build" / "bench"
_WRITTEN: set[Path] = set()


@dataclass(frozen=True)
class Data:
    """A project-shaped folder to benchmark: its label, root and triple count."""

    label: str
    root: Path
    triples: int

    @property
    def nquads(self) -> Path:
        """The whole dataset as one N-Quads file (what the peer servers load)."""
        return self.root / "dataset.nq" if self.label != "real" else CACHE / "real.nq"

    def ensure_nquads(self) -> Path:
        """Write the N-Quads dump from the project's own loader, so every server holds the same quads."""
        import pyoxigraph as ox
        from dakg.store.dataset import Dataset

        path = self.nquads
        # The real data changes under us: its dump is written afresh once per run.
        if not path.exists() or (self.label == "real" and path not in _WRITTEN):
            path.parent.mkdir(parents=True, exist_ok=True)
            dataset = Dataset.load(self.root)
            dataset.store.dump(path, format=ox.RdfFormat.N_QUADS)
            _WRITTEN.add(path)
        return path


def real_data() -> Data:
    """The checkout's own data."""
    from dakg.store.dataset import Dataset

    return Data("real", ROOT, Dataset.load(ROOT).triples)


def synthetic(label: str, seed: int = 8, log=print) -> Data:
    """A generated graph of about `label` triples (10k, 100k, 1M), generated once and cached."""
    triples = parse_size(label)
    root = CACHE / f"data-{label}-seed{seed}"
    manifest_path = root / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("fingerprint") == fingerprint() and manifest.get("requested") == triples:
            return Data(label, root, manifest["triples"])
    log(f"generating {label} triples (seed {seed}) in {root} ...")
    manifest = generate(root, triples, seed)
    return Data(label, root, manifest["triples"])
