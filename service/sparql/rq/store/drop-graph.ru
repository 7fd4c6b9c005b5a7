# title: Drop a named graph
# description: Empty one named graph of an external engine before its source is loaded again (internal: `dakg load` without the Graph Store Protocol). Placeholder: graph (the graph's IRI).
DROP SILENT GRAPH $graph
