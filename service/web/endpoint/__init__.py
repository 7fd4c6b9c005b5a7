"""The SPARQL 1.1 Protocol at /sparql: reading requests, answering queries and updates, the service description and the query page."""
