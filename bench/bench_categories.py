"""Category suggester on the icco post-mortems: per-category precision/recall and macro-F1, cross-validated.

    .venv/bin/python bench/bench_categories.py [--folds 5] [--seed 7 1 2] [--no-keywords]

The 186 icco documents whose front matter carries categories are the labelled set. The lexicon alone learns nothing
from them and is scored on all of them; the learned model (and its thresholds) is fitted inside each fold only.
Cross-validated figures are the mean over the seeds' fold shuffles, with each seed's macro-F1 beside them.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from afteraction.analysis.categories import (
    DEFAULT_TAXONOMY,
    CategoryModel,
    Lexicon,
    features,
    fit_model,
    fit_suggester,
    lexicon_score,
    normalise_category,
)
from afteraction.documents.parse import parse_file

ICCO = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "postmortems" / "icco" / "data"
# icco's seven categories and the taxonomy slug each one is measured against.
ICCO_LABELS = ("config-change", "cloud", "automation", "security", "cascading-failure", "hardware", "time")


def load(with_keywords: bool) -> list[tuple[str, set[str]]]:
    """(text, icco labels as taxonomy slugs) of every labelled icco document."""
    out = []
    for path in sorted(ICCO.glob("*.md")):
        doc = parse_file(path)
        if not doc.categories:
            continue
        parts = [doc.title, doc.summary, *(s.body for s in doc.sections)]
        if with_keywords:
            parts.append(" ".join(doc.tags))
        labels = {normalise_category(c, DEFAULT_TAXONOMY) or c for c in doc.categories}
        out.append(("\n".join(parts), labels))
    return out


def scores(gold: Sequence[set[str]], pred: Sequence[set[str]], labels: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """Per label: precision, recall, F1, support; plus micro under the key 'micro'."""
    out: dict[str, tuple[float, ...]] = {}
    tp_all = fp_all = fn_all = 0
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if label not in g and label in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label not in p)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[label] = (prec, rec, f1, tp + fn)
    prec = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    rec = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
    out["micro"] = (prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0, tp_all + fn_all)
    return out


def mean_scores(results: Sequence[dict[str, tuple[float, ...]]]) -> dict[str, tuple[float, ...]]:
    """The per-label figures averaged over several runs."""
    return {key: tuple(sum(r[key][i] for r in results) / len(results) for i in range(4)) for key in results[0]}


def macro_f1(result: dict[str, tuple[float, ...]], labels: Sequence[str]) -> float:
    """Macro-F1 of one result: the mean of the labels' F1."""
    return sum(result[label][2] for label in labels) / len(labels)


def report(title: str, result: dict[str, tuple[float, ...]], labels: Sequence[str]) -> float:
    """Print a table and return macro-F1."""
    print(f"\n{title}")
    print(f"  {'category':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>4}")
    for label in labels:
        p, r, f, n = result[label]
        print(f"  {label:<20} {p:9.2f} {r:7.2f} {f:6.2f} {int(n):4d}")
    macro = macro_f1(result, labels)
    print(f"  macro-F1 {macro:.3f}   micro-F1 {result['micro'][2]:.3f}")
    return macro


def folds(n: int, k: int, seed: int) -> list[list[int]]:
    """k disjoint index folds, shuffled with a fixed seed."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def cross_validate(
    data: list[tuple[str, set[str]]],
    labels: Sequence[str],
    k: int,
    seed: int,
    predict: Callable[[CategoryModel, dict[str, float], dict[str, dict[str, int]]], set[str]],
    fit: Callable[..., CategoryModel] = fit_model,
) -> list[set[str]]:
    """Predictions for every document from a model fitted on the other folds."""
    lexicon = Lexicon.of(DEFAULT_TAXONOMY)
    hits = [lexicon.hits(text) for text, _ in data]
    raw = [features(text, h) for (text, _), h in zip(data, hits, strict=True)]
    pred: list[set[str]] = [set() for _ in data]
    for test in folds(len(data), k, seed):
        held = set(test)
        train = [i for i in range(len(data)) if i not in held]
        model = fit([raw[i] for i in train], [data[i][1] for i in train], labels)
        for i in test:
            pred[i] = predict(model, model.vector(raw[i]), hits[i])
    return pred


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, nargs="+", default=[7, 1, 2], help="fold shuffles to average over")
    parser.add_argument("--no-keywords", action="store_true", help="leave icco's keywords out of the text")
    args = parser.parse_args()
    if not ICCO.exists():
        print(f"corpus not found: {ICCO}")
        return 0
    data = load(with_keywords=not args.no_keywords)
    labels = [normalise_category(c, DEFAULT_TAXONOMY) or c for c in ICCO_LABELS]
    gold = [g for _, g in data]
    fields = "title, summary, body" + ("" if args.no_keywords else ", keywords")
    print(f"{len(data)} labelled icco documents; text: {fields}")
    start = time.perf_counter()
    lexicon = Lexicon.of(DEFAULT_TAXONOMY)
    lex_pred = [{s for s, h in lexicon.hits(t).items() if lexicon_score(h) >= 2.0} for t, _ in data]
    report("lexicon only (nothing learned; score >= 2)", scores(gold, lex_pred, labels), labels)

    def fixed(model: CategoryModel, vec: dict[str, float], _hits: dict[str, dict[str, int]]) -> set[str]:
        return {label for label in labels if model.probability(vec, label) >= 0.5}

    def tuned(model: CategoryModel, vec: dict[str, float], _hits: dict[str, dict[str, int]]) -> set[str]:
        return {label for label in labels if model.probability(vec, label) >= model.thresholds[label]}

    variants: list[tuple[str, Callable[..., set[str]], Callable[..., CategoryModel]]] = [
        ("learned ridge regression on words + lexicon, score >= 0.5", fixed, fit_model),
        ("learned, thresholds tuned by inner 3-fold CV within each training fold", tuned, fit_suggester),
    ]
    macro = 0.0
    for title, predict, fit in variants:
        preds = [cross_validate(data, labels, args.folds, seed, predict, fit) for seed in args.seed]
        runs = [scores(gold, pred, labels) for pred in preds]
        per_seed = ", ".join(f"{macro_f1(r, labels):.3f}" for r in runs)
        seeds = " ".join(map(str, args.seed))
        title = f"{title}; {args.folds}-fold CV, mean of seeds {seeds} (macro-F1 per seed: {per_seed})"
        macro = report(title, mean_scores(runs), labels)
    print(f"\n({time.perf_counter() - start:.1f} s)")
    return 0 if macro >= 0 else 1


if __name__ == "__main__":
    sys.exit(main())
