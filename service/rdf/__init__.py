"""RDF itself: the namespaces and prefixes, terms as values, the hand-edited sources and their one Turtle layout, the formats answers are written in. Imports nothing else of dakg's."""
