"""Financial crime: sanctions screening (``screening``, ``onboarding``).

Built so far: fuzzy sanctions screening of names, used at onboarding and at
order entry by the risk engine. Transaction monitoring (docs/aml_monitoring.md):
``rules``, ``graph`` (networkx), ``anomaly`` (scikit-learn), ``scoring``,
``monitor`` (the streaming consumer), ``cases`` (cases and the SAR workflow)
and ``feedback``; those modules need the ``analytics`` extra, so nothing here
imports them eagerly (a core-only ``twin run`` never loads them).
"""
