"""``twin diff-live``: a live session's order flow replayed in the twin, and the two compared.

``flow`` reads the live event log into a script, ``worlds`` maps a live config
to the scenario of the same world, ``compare`` diffs the two event streams
order by order, and ``command`` is the CLI verb. It reads the live side's
files (its SQLite event log, its live.toml), never the ``live`` package.
"""
