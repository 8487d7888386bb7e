"""An evaluation report on disk: report.json, ROC/PR/calibration plots as PNG, and an index.html that shows them."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from classifier.opinion_curve import OPINION_MODELS
from classifier.pipeline import HEADS

PLOTS = ("roc", "pr", "calibration")
_AXES = {
    "roc": ("false positive rate", "true positive rate"),
    "pr": ("recall", "precision"),
    "calibration": ("mean score in bin", "share positive in bin"),
}


def _plot(report: dict[str, Any], head: str, kind: str, path: Path) -> bool:
    # matplotlib is a development dependency; importing it here keeps it out of training and scoring.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    head_curves = report.get("curves", {}).get(head, {})
    if not any(head_curves.get(model, {}).get(kind) for model in ("ours", "baseline")):
        return False
    figure, axes = plt.subplots(figsize=(4.5, 4), dpi=100)
    for model, style in (("ours", "-"), ("baseline", "--")):
        points = head_curves.get(model, {}).get(kind)
        if points:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            axes.plot(xs, ys, style, marker="o" if kind == "calibration" else None, label=model)
    if kind in ("roc", "calibration"):
        axes.plot([0, 1], [0, 1], ":", color="grey", linewidth=1)
    axes.set_xlabel(_AXES[kind][0])
    axes.set_ylabel(_AXES[kind][1])
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_title(f"{head}: {kind} (held-out test rows)")
    axes.legend(loc="lower right" if kind != "pr" else "lower left")
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)
    return True


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else html.escape(str(value))


def _table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{_number(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def _sections(report: dict[str, Any]) -> list[str]:
    sections = []
    held = [
        [head, source, m["ours"]["rows"], m["ours"]["roc_auc"], m["baseline"]["roc_auc"], m["ours"]["pr_auc"],
         m["baseline"]["pr_auc"], m["ours"]["ece"], m["baseline"]["ece"], m["ours"]["at_hold"]["f1"],
         m["ours"]["at_reject"]["f1"]]
        for head in HEADS if head in report.get("held_out", {})
        for source, m in [("all", report["held_out"][head]), *report["held_out"][head]["by_source"].items()]
    ]  # fmt: skip
    header = ["head", "source", "rows", "ROC AUC", "baseline", "PR AUC", "baseline", "ECE", "baseline"]
    sections.append(_table("Held-out test rows", [*header, "F1 at hold", "F1 at reject"], held))
    operating = report.get("operating_point", {})
    sections.append(
        _table(
            "Operating point on the 80/15/5 mix",
            ["model", "review rate", "bad published", "good rejected"],
            [[k, v["review_rate"], v["bad_published"], v["good_rejected"]] for k, v in operating.items()],
        )
    )
    evaluation = [
        [name, m["abuse"]["ours"]["rows"], m["abuse"]["ours"]["roc_auc"], m["abuse"]["baseline"]["roc_auc"],
         m["abuse"]["ours"]["pr_auc"], m["abuse"]["baseline"]["pr_auc"]]
        for name, m in report.get("evaluation_only", {}).items()
    ]  # fmt: skip
    sections.append(
        _table("Evaluation-only sets (abuse)", ["set", "rows", "ROC AUC", "baseline", "PR AUC", "baseline"], evaluation)
    )
    cross = report.get("cross_domain", {})
    if cross:
        rows = [
            [head, fold, m["rows"], m["roc_auc"], cross["baseline"][head][fold]["roc_auc"], m["pr_auc"],
             cross["baseline"][head][fold]["pr_auc"]]
            for head in HEADS
            for fold, m in cross["ours"][head].items()
        ]  # fmt: skip
        sections.append(
            _table(
                "Cross-domain (domain or Fox threads left out)",
                ["head", "left out", "rows", "ROC AUC", "baseline", "PR AUC", "baseline"],
                rows,
            )
        )
    sections += _learning_curve_sections(report.get("learning_curves", {}))
    sections += _article_aware_sections(report.get("article_aware", {}))
    return sections


def _learning_curve_sections(curves: dict[str, Any]) -> list[str]:
    """One table per domain: mean ROC AUC over the draws of each model per count of decisions, and the share of
    bad replies each publishes with people reviewing REVIEW_RATE of the replies (learning_curve.bad_published)."""
    sections = []
    models = ("general", "site_only", "recipe_mixed", "product")
    for name, curve in curves.get("domains", {}).items():
        rows = [
            [point["decisions"], *(point[model]["roc_auc"] for model in models),
             point.get("tfidf_jigsaw", {}).get("roc_auc"),
             *(point[model]["bad_published_at_review_rate"] for model in models)]
            for point in curve["points"]
        ]  # fmt: skip
        title = f"Learning curve: {name} ({curve['head']}, {curve['rows']} rows in {curve['groups']} groups)"
        header = ["decisions", "general", "site only", "recipe mixed", "product", "TF-IDF on Jigsaw"]
        review = f"{curves.get('review_rate', 0):.0%}"
        header += [
            f"bad published at {review} review: {model}" for model in ("general", "site only", "mixed", "product")
        ]
        sections.append(_table(title, header, rows))
        placed = [point for point in curve["points"] if "site_thresholds" in point]
        if placed:
            keys = (
                "expected_review",
                "test_review",
                "expected_bad_published",
                "test_bad_published",
                "test_good_rejected",
            )
            sections.append(
                _table(
                    f"Thresholds placed on the site's decisions: {name} (what they imply, what they do to the test)",
                    ["decisions", "review implied", "review on test", "bad published implied", "bad published on test",
                     "good rejected on test"],
                    [[point["decisions"], *(point["site_thresholds"][key] for key in keys)] for point in placed],
                )
            )  # fmt: skip
        sections += _opinion_section(name, curve)
    return sections


def _opinion_section(name: str, curve: dict[str, Any]) -> list[str]:
    """The product beside the product with the abuse opinion (the relevance extra), where the curve measured it."""
    points = [point for point in curve["points"] if OPINION_MODELS[0] in point]
    if not points:
        return []
    models = ("product", *OPINION_MODELS)
    rows = [
        [point["decisions"], *(point[model]["roc_auc"] for model in models),
         *(point[model]["bad_published_at_review_rate"] for model in models),
         f"{point.get('opinion_site_weight_served', 0)} of {point['draws']}"]
        for point in points
    ]  # fmt: skip
    header = ["decisions", "product", "+ opinion, card's weight", "+ opinion as served"]
    header += [f"bad published: {column}" for column in header[1:]] + ["site's weight served"]
    return [_table(f"With the abuse opinion: {name} (ROC AUC, bad published at the same review rate)", header, rows)]


def _article_aware_sections(article: dict[str, Any]) -> list[str]:
    """The article-aware protocol's tables, or the sentence saying why it did not run."""
    if not article.get("available"):
        why = html.escape(str(article.get("why", "not run")))
        return [f"<h2>Article-aware (relevance)</h2><p>Not measured: {why}</p>"] if article else []
    sections = []
    grouped = article.get("grouped", {})
    if grouped:
        rows = [[group, m["rows"], m["without"], m["with"]] for group, m in grouped.items()]
        sections.append(
            _table("Article-aware: one video held out (spam ROC AUC)", ["held out", "rows", "without", "with"], rows)
        )
    ways = article.get("cascade", {}).get("ways", {})
    rows = [
        [way, m["roc_auc"], m["embedded_share"], m["ordinary"]["held"], m["ordinary"]["rejected"], m["spam"]["held"],
         m["spam"]["rejected"]]
        for way, m in ways.items()
    ]  # fmt: skip
    header = ["relevance", "ROC AUC", "embedded", "ordinary held", "ordinary rejected", "spam held", "spam rejected"]
    sections.append(_table("Article-aware: the service's cascade (held-out YouTube rows)", header, rows))
    return sections


def write_report(report: dict[str, Any], folder: Path) -> Path:
    """Write report.json, <head>_<roc|pr|calibration>.png and index.html into folder; return index.html's path.

    `report` is what evaluate_model returns. Plots need matplotlib (a development dependency).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    images = []
    for head in HEADS:
        for kind in PLOTS:
            name = f"{head}_{kind}.png"
            if _plot(report, head, kind, folder / name):
                images.append(f'<img src="{name}" alt="{head} {kind} curve">')
    title = f"replyguard model {html.escape(str(report.get('model_version', '')))}"
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head><body>"
        f"<h1>{title}</h1><p>Baseline: {html.escape(str(report.get('baseline', '')))}</p>"
        + "".join(_sections(report))
        + "<h2>Plots</h2>"
        + "".join(images)
        + "</body></html>\n"
    )
    index = folder / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
