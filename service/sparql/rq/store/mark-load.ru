# title: Mark a load as unfinished
# description: What `dakg load` writes into an external engine before it loads (internal), and removes once the counts are checked: a store that still has it holds a load that did not finish. Placeholders: graph (the marker graph's IRI), since (when the load began, an xsd:dateTime literal).
INSERT DATA { GRAPH $graph { $graph <http://purl.org/dc/terms/created> $since } }
