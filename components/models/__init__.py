"""The project's scikit-learn models on client data, governed by ``components.governance``.

``features`` (the client profile and the feature builder), ``churn`` (churn propensity: will
this client leave within 90 days) and ``next_best_action`` (which of four advisor actions fits
this client best). Each model module has one class with the same surface (``ModelSpec``):
fit, scores, decisions, metric, the score watched for drift, and its fairness checks.
scikit-learn is imported only inside the functions that fit or score, so importing this
package stays light (the ``twin`` parser imports nothing of it at all).
"""
