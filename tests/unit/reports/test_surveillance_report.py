"""The surveillance report pieces: the run section's arithmetic and the precision-recall plot."""

from __future__ import annotations

from reports.surveillance import plot_precision_recall, run_section


def test_run_section_volumes_per_10k_orders():
    section = run_section({"spoofing": 3, "wash_trade": 0}, {"open": 3, "escalated": 0, "closed": 0}, 1500)
    assert section["alerts_per_10k_orders"] == {"spoofing": 20.0, "wash_trade": 0.0} and section["scores"] is None


def test_plot_draws_a_curve_per_labelled_pattern_and_a_note_without_labels():
    sweep = [{"threshold": t, "labels": 2, "precision": p, "recall": r} for t, p, r in ((1, 0.5, 1.0), (2, 1.0, 0.5))]
    fig = plot_precision_recall({"spoofing": {"precision": 1.0, "recall": 0.5, "sweep": sweep},
                                 "wash_trade": {"precision": 1.0, "recall": 1.0, "sweep": []}})
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and [t.get_text() for t in ax.get_legend().get_texts()] == ["spoofing"]
    empty = plot_precision_recall({"spoofing": {"sweep": []}})
    assert "none" in [t.get_text() for t in empty.axes[0].texts]
