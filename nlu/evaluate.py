"""Evaluation: per-category P/R/F1, macro-F1, intent accuracy, accuracy per writing
style, emergency recall and false alarms, top confusions and a reliability table
(confidence vs accuracy, ECE).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from nlu.corpus import Example
from nlu.pipeline import REPORT, Prediction

N_BINS = 10


def _label(intent: str, category: str | None) -> str:
    return f"{REPORT}/{category}" if intent == REPORT else intent


def evaluate(
    examples: Sequence[Example],
    preds: Sequence[Prediction],
    categories: Sequence[str],
    ask_threshold: float | None = None,
    n_confusions: int = 10,
) -> dict[str, Any]:
    if len(examples) != len(preds):
        raise ValueError("examples and predictions differ in length")
    n = len(examples)
    per_cat: dict[str, dict[str, float]] = {}
    for c in categories:
        tp = sum(1 for e, p in zip(examples, preds, strict=True) if e.category == c and p.category == c
                 and p.intent == REPORT)
        fp = sum(1 for e, p in zip(examples, preds, strict=True) if p.intent == REPORT and p.category == c
                 and e.category != c)
        support = sum(1 for e in examples if e.category == c)
        fn = support - tp
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / support if support else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_cat[c] = {"precision": prec, "recall": rec, "f1": f1, "support": support,
                      "tp": tp, "fp": fp, "fn": fn}
    present = [c for c in categories if per_cat[c]["support"] > 0]
    macro_f1 = sum(per_cat[c]["f1"] for c in present) / len(present) if present else 0.0

    pairs = list(zip(examples, preds, strict=True))
    intent_acc = sum(1 for e, p in pairs if e.intent == p.intent) / n if n else 0.0
    correct = [e.label == _label(p.intent, p.category) for e, p in zip(examples, preds, strict=True)]
    label_acc = sum(correct) / n if n else 0.0
    report_exs = [(e, p) for e, p in zip(examples, preds, strict=True) if e.intent == REPORT]
    top3_hits = sum(1 for e, p in report_exs if e.category in [c for c, _ in p.ranking[:3]])
    top3 = top3_hits / len(report_exs) if report_exs else 0.0

    pos = [(e, p) for e, p in zip(examples, preds, strict=True) if e.emergency is True]
    neg = [(e, p) for e, p in zip(examples, preds, strict=True) if e.emergency is False]
    tp_e = sum(1 for _, p in pos if p.emergency)
    fp_e = sum(1 for _, p in neg if p.emergency)
    emergency = {
        "positives": len(pos),
        "negatives": len(neg),
        "recall": tp_e / len(pos) if pos else None,
        "false_alarm_rate": fp_e / len(neg) if neg else None,
        "precision": tp_e / (tp_e + fp_e) if tp_e + fp_e else None,
        "missed": [e.text for e, p in pos if not p.emergency][:20],
        "false_alarms": [e.text for e, p in neg if p.emergency][:20],
    }

    confusions = Counter(
        (e.label, _label(p.intent, p.category))
        for (e, p), ok in zip(pairs, correct, strict=True)
        if not ok
    )
    bins = []
    ece = 0.0
    for b in range(N_BINS):
        lo, hi = b / N_BINS, (b + 1) / N_BINS
        idx = [i for i, p in enumerate(preds)
               if lo <= p.confidence < hi or (b == N_BINS - 1 and p.confidence >= 1.0)]
        if not idx:
            bins.append({"lo": lo, "hi": hi, "n": 0, "confidence": None, "accuracy": None})
            continue
        conf = sum(preds[i].confidence for i in idx) / len(idx)
        acc = sum(correct[i] for i in idx) / len(idx)
        ece += abs(acc - conf) * len(idx) / n
        bins.append({"lo": lo, "hi": hi, "n": len(idx), "confidence": conf, "accuracy": acc})
    result: dict[str, Any] = {
        "n": n,
        "per_style": per_style(examples, correct),
        "category_macro_f1": macro_f1,
        "intent_accuracy": intent_acc,
        "label_accuracy": label_acc,
        "category_top3_recall": top3,
        "per_category": per_cat,
        "emergency": emergency,
        "confusions": [{"true": t, "predicted": p, "count": k}
                       for (t, p), k in confusions.most_common(n_confusions)],
        "reliability": bins,
        "ece": ece,
    }
    if ask_threshold is not None:
        low = [i for i, p in enumerate(preds) if p.confidence < ask_threshold]
        high = [i for i in range(n) if i not in set(low)]
        result["ask"] = {
            "threshold": ask_threshold,
            "share_asked": len(low) / n if n else 0.0,
            "accuracy_when_not_asked": sum(correct[i] for i in high) / len(high) if high else None,
            "accuracy_when_asked": sum(correct[i] for i in low) / len(low) if low else None,
        }
    return result


def per_style(examples: Sequence[Example], correct: Sequence[bool]) -> dict[str, dict[str, float]]:
    """Label accuracy (intent, and category for reports) per writing style; untagged → "-"."""
    by: dict[str, list[bool]] = {}
    for e, ok in zip(examples, correct, strict=True):
        by.setdefault(e.style or UNTAGGED, []).append(ok)
    return {s: {"accuracy": sum(v) / len(v), "n": len(v)} for s, v in sorted(by.items())}


UNTAGGED = "-"


def format_report(r: dict[str, Any]) -> str:
    lines = [f"examples: {r['n']}", "", f"{'category':<24}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}"]
    for c, m in r["per_category"].items():
        lines.append(f"{c:<24}{m['precision']:7.3f}{m['recall']:7.3f}{m['f1']:7.3f}{m['support']:6d}")
    if len(r["per_style"]) > 1 or UNTAGGED not in r["per_style"]:
        lines += ["", f"{'style':<24}{'acc':>7}{'n':>6}"]
        lines += [f"{st:<24}{m['accuracy']:7.3f}{m['n']:6d}" for st, m in r["per_style"].items()]
    e = r["emergency"]

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    lines += [
        "",
        f"category macro-F1     {r['category_macro_f1']:.3f}",
        f"intent accuracy       {r['intent_accuracy']:.3f}",
        f"label accuracy        {r['label_accuracy']:.3f}",
        f"category top-3 recall {r['category_top3_recall']:.3f}",
        f"emergency recall      {pct(e['recall'])}  ({e['positives']} emergencies)",
        f"emergency false alarm {pct(e['false_alarm_rate'])}  ({e['negatives']} non-emergencies)",
        "",
        "top confusions (true → predicted):",
    ]
    lines += [f"  {c['count']:4d}  {c['true']} → {c['predicted']}" for c in r["confusions"]]
    lines += ["", "reliability (confidence bin: n, mean confidence, accuracy):"]
    for b in r["reliability"]:
        if b["n"]:
            lines.append(f"  [{b['lo']:.1f}, {b['hi']:.1f})  {b['n']:5d}  {b['confidence']:.3f}  "
                         f"{b['accuracy']:.3f}")
    lines.append(f"ECE {r['ece']:.3f}")
    if "ask" in r:
        a = r["ask"]
        lines.append(f"ask threshold {a['threshold']}: asks {a['share_asked']:.1%}; accuracy "
                     f"{pct(a['accuracy_when_not_asked'])} when not asking, "
                     f"{pct(a['accuracy_when_asked'])} when asking")
    if e["missed"]:
        lines += ["", "missed emergencies:"] + [f"  {t}" for t in e["missed"][:10]]
    if e["false_alarms"]:
        lines += ["", "false alarms:"] + [f"  {t}" for t in e["false_alarms"][:10]]
    return "\n".join(lines)
