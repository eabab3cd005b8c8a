"""Model governance (seed section 8) for the project's scikit-learn models.

``registry`` (versions, model cards, stages candidate -> shadow -> production -> retired,
promotions with an audit record, the last good version), ``shadow`` (a candidate scores the
same inputs as production without deciding anything; promotion only on a passing verdict),
``drift`` (PSI per feature and on the score, KS per feature, alerts as records), ``rollback``
(the runbook: back to the last good version, or a retraining request when configured),
``fairness`` (demographic parity and equal opportunity differences for the model card),
``records`` (the governance event record every step returns) and ``store`` (the ModelStore
port and its in-memory adapter).

Pure domain: nothing here reads a clock or a file. Times are passed in (epoch ns), artefacts go
through the ``ModelStore`` port. numpy is used throughout; scipy (KS) and scikit-learn are only
touched by the functions that need them, so importing the registry stays light.
See docs/model_governance.md.
"""
