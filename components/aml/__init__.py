"""Financial crime: sanctions screening (``screening``, ``onboarding``).

Built so far: fuzzy sanctions screening of names, used at onboarding and at
order entry by the risk engine. Not built yet (issue 20, later sessions): money
movement in the twin, transaction monitoring (rules, graph analytics, anomaly
model), cases and the SAR workflow, and ``twin aml score``.
"""
