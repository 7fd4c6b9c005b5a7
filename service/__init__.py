"""dakg: the Digital Agency activity knowledge graph as a service."""

__version__ = "0.1.0"
