"""The files the package ships, found with importlib.resources: its own SPARQL (`sparql/rq/`, the
queries the code runs), the web pages' templates and static files (`web/templates/`,
`web/static/`) and the project it serves (`project/`: the ontology, shapes, saved queries and
data; in a checkout these are links to the folders at the top of the repository)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_path(*parts: str) -> Path:
    """A path inside the installed package (a folder on disk: the package is never zipped)."""
    return Path(str(files("dakg").joinpath(*parts)))


def internal_queries(kind: str) -> Path:
    """The folder of the code's own queries of one kind: store, resources, pictures, validation."""
    return package_path("sparql", "rq", kind)


def web_files(kind: str) -> Path:
    """The web layer's own files of one kind: templates or static."""
    return package_path("web", kind)


def project_root() -> Path:
    """The project the package ships: ontology/, shapes/, queries/ and data/ttl/."""
    return package_path("project")
