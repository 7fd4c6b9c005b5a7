# title: Insert triples with blank nodes into a named graph
# description: A whole source whose triples hold blank nodes, in one request since a blank node is scoped to its request (internal: `dakg load` without the Graph Store Protocol). INSERT ... WHERE {} rather than INSERT DATA, which some engines refuse with blank nodes (Virtuoso: SP031). Placeholders: graph (the graph's IRI) and triples (N-Triples).
INSERT { GRAPH $graph {
$triples} } WHERE { }
