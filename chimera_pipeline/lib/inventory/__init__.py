"""The artifact inventory: walk the tree, describe each file (hash, date, kind), cache what
was seen, and hand the launcher's scan to the runs it starts."""
