"""Where the graph lives: the embedded store (in memory or on disk), an external SPARQL engine, the loaded dataset, and `dakg load`."""
