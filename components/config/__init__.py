"""Configuration both runtimes share: typed, frozen sections and the one walker that reads them.

The sections (``session``, ``market``: symbols, venues, liquidity, routing;
``risk``, ``population``, ``post_trade``; ``live``: the whole of live.toml)
are frozen dataclasses whose fields carry their checks (``schema``: ranges,
patterns, money) and document their defaults where declared. A scenario file
(YAML, ``scenarios.config``) and live.toml (TOML) are read into nodes that
know their lines (``yaml_reader``, ``toml_reader``) and walked into those
classes by one walker (``walker``), so a bad value gets the same error in
either file: ``source:line: dotted.field: problem`` (``ConfigError``).
"""
