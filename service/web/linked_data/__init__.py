"""Linked-data pages: /id/ and /doc/ by content negotiation, /def/ (the vocabulary, its diagram and guide), the JSON-LD context, the pictures."""
