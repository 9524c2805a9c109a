"""Small helpers every stage shares: text decoding, one-line messages, process pools."""
