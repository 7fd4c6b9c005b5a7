# title: Insert triples into a named graph
# description: One chunk of a source's triples, as N-Triples (internal: `dakg load` without the Graph Store Protocol). Placeholders: graph (the graph's IRI) and triples (N-Triples).
INSERT DATA { GRAPH $graph {
$triples} }
