"""SPARQL as text: the lexer, what a query's form and FROM are, the one VALUES writer, the federation guard, the library of saved queries and the code's own queries (rq/). Imports only dakg.rdf."""
