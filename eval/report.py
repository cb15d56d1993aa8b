"""Report files of an evaluation: report.md, results.json, TREC runs and qrels, failures.csv and
a recall@k plot (matplotlib, Agg backend)."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Sequence

from eval.harness import FAILURE_K, Evaluation
from eval.relevance import Judged

LEVEL_TITLES = {
    "agenda_item": "Agenda item (the right TOP among the top k passages)",
    "passage": "Passage (a passage holding the gold evidence; duplicate copies are one passage)",
}
FAILURE_FIELDS = ["kind", "mode", "level", "id", "lang", "question", "expected", "got"]


def _fmt(value, places: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{places}f}"
    return str(value)


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines + [""]


# ---------------------------------------------------------------------------------- files


def write_trec(judged: dict[tuple[str, str], Judged], out_dir: Path) -> list[Path]:
    """``run.<mode>.<level>.trec`` (qid Q0 docid rank score tag) and ``qrels.<level>.trec``
    (qid 0 docid rel): ``trec_eval -m all_trec qrels.L.trec run.M.L.trec`` gives our figures."""
    files = []
    levels = sorted({level for level, _ in judged})
    for level in levels:
        some = next(j for (lv, _), j in judged.items() if lv == level)
        path = out_dir / f"qrels.{level}.trec"
        with open(path, "w", encoding="utf-8") as handle:
            for qid, units in some.qrels.items():
                for unit, rel in units.items():
                    handle.write(f"{qid} 0 {unit} {rel}\n")
        files.append(path)
    for (level, mode), run in sorted(judged.items()):
        path = out_dir / f"run.{mode}.{level}.trec"
        with open(path, "w", encoding="utf-8") as handle:
            for qid in run.qrels:
                for rank, (unit, score) in enumerate(run.run.get(qid, []), start=1):
                    handle.write(f"{qid} Q0 {unit} {rank} {score!r} minutes-qa-{mode}\n")
        files.append(path)
    return files


def write_failures(rows: Sequence[dict], path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FAILURE_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def plot_recall(retrieval: dict, path: Path, title: str) -> Path:
    """recall@k per mode, one panel per level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = retrieval.get("levels") or {"document": {"modes": retrieval["modes"]}}
    ks = retrieval["ks"]
    fig, axes = plt.subplots(1, len(levels), figsize=(5.2 * len(levels), 4), squeeze=False)
    for ax, (level, data) in zip(axes[0], levels.items()):
        for mode, values in data["modes"].items():
            ax.plot(ks, [values["all"][f"recall@{k}"] for k in ks], marker="o", label=mode)
        ax.set_title(level.replace("_", " "))
        ax.set_xlabel("k")
        ax.set_ylabel("recall@k")
        ax.set_xticks(ks)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _json_ready(value):
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_json(summary: dict, path: Path) -> Path:
    path.write_text(json.dumps(_json_ready(summary), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_outputs(evaluation: Evaluation, out_dir: Path, command: str = "") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = dict(evaluation.summary, command=command)
    failures = write_failures(evaluation.failures, out_dir / "failures.csv")
    summary["failures"] = _failure_counts(evaluation.failures)
    files = [write_json(summary, out_dir / "results.json"), failures]
    files += write_trec(evaluation.judged, out_dir)
    files.append(plot_recall(summary["retrieval"], out_dir / "recall_at_k.png",
                             f"{summary['set']['name']}: recall@k"))
    report = out_dir / "report.md"
    report.write_text("\n".join(markdown(summary, [f.name for f in files])), encoding="utf-8")
    return [report] + files


def _failure_counts(rows: Sequence[dict]) -> dict:
    counts: dict[str, int] = {}
    for row in rows:
        key = f"{row['kind']}/{row['mode']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


# ---------------------------------------------------------------------------------- markdown


def markdown(summary: dict, files: Sequence[str]) -> list[str]:
    s = summary["set"]
    lines = [f"# Evaluation: {s['name']}", ""]
    lines += [f"- command: `{summary.get('command') or '(library call)'}`",
              f"- run: {summary['created']}, {summary['seconds']['total']} s (model warm-up "
              f"{summary['seconds']['warm_up']} s, retrieval {summary['seconds']['retrieval']} s"
              + (f", answers and conversations {summary['seconds']['answers']} s" if "answers" in summary["seconds"]
                 else "") + ")",
              f"- set: {s['kind']}, {s['questions']} questions ({s['answerable']} answerable, "
              f"{s['unanswerable']} unanswerable), {s['conversations']} conversations ({s['turns']} turns); "
              f"retrieval searches {s['retrieval_questions']} questions per mode (single questions and "
              f"first turns; {', '.join(f'{k}: {v}' for k, v in s['by_language'].items())}) and judges "
              "those with gold",
              f"- index: {summary['index']['dir']} ({summary['index'].get('documents')} documents, "
              f"{summary['index'].get('passages')} passages), model `{summary['index'].get('model')}`",
              f"- fusion: {summary['settings'].get('fusion')}, rrf_k {summary['settings'].get('rrf_k')}, "
              f"cross-lingual BM25 weight {summary['settings'].get('cross_lingual_bm25_weight')}", ""]
    lines += _retrieval_section(summary)
    if "answers" in summary:
        lines += _answers_section(summary["answers"])
    if "conversations" in summary:
        lines += _conversation_section(summary["conversations"])
    lines += _latency_section(summary)
    if summary.get("failures"):
        lines += ["## Failures", "", "`failures.csv` (question id, question, expected, got):", ""]
        lines += _table(["kind / mode", "count"], [[k, v] for k, v in sorted(summary["failures"].items())])
    lines += ["## Files", ""] + [f"- `{name}`" for name in files] + [""]
    return lines


def _retrieval_section(summary: dict) -> list[str]:
    retrieval = summary["retrieval"]
    modes = summary["modes"]
    lines = ["## Retrieval", "",
             f"Each question is searched once per mode for the top {retrieval['depth']} passages "
             "(`SearchIndex.search`, duplicates collapsed). Metrics by ranx, mean of per-question values; "
             "best value per row in bold. hit@k = a relevant unit in the top k; mrr@10, ndcg@10; "
             f"map@{retrieval['depth']} over the whole run. See eval/README.md for the definitions.", ""]
    if "level" in retrieval:
        lines += [f"Judged at **{retrieval['level']}** level: {retrieval['judged_ids_in_index']} of "
                  f"{retrieval['judged_ids']} judged ids are in the index.", ""]
    for level, data in retrieval["levels"].items():
        title = (f"{level.replace('_', ' ').capitalize()} (external judgments; units ranked by their best "
                 "passage)" if "level" in retrieval else LEVEL_TITLES.get(level, level))
        lines += [f"### {title}", ""]
        subsets = [("all", "all", data["n"])] + [
            (lang, lang, data["modes"][modes[0]]["by_language"][lang]["n"]) for lang in data["languages"]]
        for key, label, n in subsets:
            lines += [f"**{label}** ({n} questions)", ""]
            rows = []
            for name in retrieval["metrics"]:
                values = [(data["modes"][m]["all"] if key == "all" else data["modes"][m]["by_language"][key]).get(name)
                          for m in modes]
                best = max((v for v in values if v is not None), default=None)
                rows.append([name] + [f"**{_fmt(v)}**" if v is not None and v == best and len(modes) > 1
                                      else _fmt(v) for v in values])
            lines += _table(["metric", *modes], rows)
        if data["no_gold_unit"]:
            why = ("no judgment above 0" if "level" in retrieval
                   else "their gold evidence lies in no indexed passage")
            lines += [f"Not judged at this level ({why}): {', '.join(data['no_gold_unit'])}.", ""]
        lines += _hybrid_lines(data)
    return lines


def _hybrid_lines(data: dict) -> list[str]:
    if not {"bm25", "dense", "hybrid"} <= set(data["modes"]):
        return []
    findings = data["hybrid_check"]
    if not findings:
        return ["Hybrid is at least as good as the better of bm25 and dense on every metric, for all "
                "questions and each language.", ""]
    lines = ["**Where hybrid is below the better single retriever**, and the questions that explain it "
             "(first relevant rank per mode; the metrics on which hybrid is lower for that question):", ""]
    for finding in findings:
        metrics = ", ".join(f"{f['metric']} {_fmt(f['hybrid'])} < {f['better_mode']} {_fmt(f['better'])}"
                            for f in finding["shortfalls"])
        lines.append(f"- **{finding['subset']}**: {metrics}")
        for q in finding["questions"]:
            ranks = ", ".join(f"{m} {r or '–'}" for m, r in q["first_relevant_rank"].items())
            lower = ", ".join(q["lower_on"])
            lines.append(f"  - {q['id']} ({ranks}; lower on {lower}): {q['question']}")
    return lines + [""]


def _answers_section(answers: dict) -> list[str]:
    lines = ["## Answers (`Assistant.ask`: hybrid top 5, answer step, one new session per question)", "",
             "top-1 = the top answer contains a gold answer (or is a ≥ 3-character part of one), after "
             "normalisation; EM / F1 SQuAD-style with German normalisation; an abstention on an "
             "answerable question scores 0.", ""]
    rows = [["all", *_answer_cells(answers["all"])]]
    rows += [[lang, *_answer_cells(v)] for lang, v in answers["by_language"].items()]
    lines += _table(["questions", "n", "top-1", "EM", "F1", "abstained"], rows)
    lines += ["By answer type:", ""]
    lines += _table(["type", "n", "top-1", "EM", "F1", "abstained"],
                    [[t, *_answer_cells(v)] for t, v in answers["by_type"].items()])
    lines += ["**Abstention** (positive = abstained, relevant = unanswerable):", ""]
    ab_rows = []
    for label, a in [("all", answers["abstention"]["all"]), *answers["abstention"]["by_language"].items()]:
        ab_rows.append([label, _fmt(a["precision"]), _fmt(a["recall"]), _fmt(a["f1"]),
                        a["abstained_unanswerable"], a["answered_unanswerable"], a["abstained_answerable"]])
    lines += _table(["questions", "precision", "recall", "F1", "abstained (unanswerable)",
                     "answered (unanswerable)", "abstained (answerable)"], ab_rows)
    off = answers["offsets"]
    lines += [f"**Offsets**: {off['valid']} of {off['answers']} answers have valid offsets "
              f"(`document.text[start:end] == text`, the same for the context, span inside context): "
              f"{_pct(off['share_valid'])}.", ""]
    return lines


def _answer_cells(v: dict) -> list[str]:
    return [v["n"], _pct(v["top1_accuracy"]), _pct(v["exact_match"]), _pct(v["f1"]), v["abstained"]]


def _conversation_section(conv: dict) -> list[str]:
    k = FAILURE_K
    lines = [f"## Conversations ({conv['conversations']} conversations, {conv['turns']} turns, "
             "each in one session)", "",
             f"hit@{k} = the turn's gold agenda item among the top {k} passages the assistant retrieved "
             "for the resolved query.", ""]
    rows = [[n, t["turns"], t["answerable"], _pct(t["top1_accuracy"]), _pct(t["exact_match"]), _pct(t["f1"]),
             _pct(t[f"hit@{k}"]), f"{t['abstained_unanswerable']}/{t['unanswerable']}"]
            for n, t in conv["by_turn"].items()]
    a = conv["all"]
    rows.append(["all", conv["turns"], a["n"], _pct(a["top1_accuracy"]), _pct(a["exact_match"]), _pct(a["f1"]),
                 _pct(a[f"hit@{k}"]), f"{conv['abstention']['abstained_unanswerable']}/"
                 f"{conv['abstention']['abstained_unanswerable'] + conv['abstention']['answered_unanswerable']}"])
    lines += _table(["turn", "turns", "answerable", "top-1", "EM", "F1", f"hit@{k}", "abstained on unanswerable"],
                    rows)
    wrong = [r for r in conv["turn_records"] if not r["unanswerable"] and not r.get("correct")]
    if wrong:
        lines += ["Wrong turns:", ""]
        lines += _table(["conversation", "turn", "question", "query", "expected", "got"],
                        [[r["conversation"], r["turn"], r["question"], r["query"], " / ".join(r["gold"][:2]),
                          r["answer"] if r["answer"] is not None else "(abstained)"] for r in wrong])
    return lines


def _latency_section(summary: dict) -> list[str]:
    lines = ["## Latency (warm, one query at a time, ms)", ""]
    rows = [[f"search {m} (top {summary['retrieval']['depth']})", _fmt(v["p50_ms"], 1), _fmt(v["p95_ms"], 1),
             _fmt(v["mean_ms"], 1), v["n"]] for m, v in summary["retrieval"]["latency"].items()]
    if "answers" in summary:
        v = summary["answers"]["latency"]
        rows.append(["ask (single questions)", _fmt(v["p50_ms"], 1), _fmt(v["p95_ms"], 1), _fmt(v["mean_ms"], 1),
                     v["n"]])
    if "conversations" in summary:
        v = summary["conversations"]["latency"]
        rows.append(["ask (conversation turns)", _fmt(v["p50_ms"], 1), _fmt(v["p95_ms"], 1),
                     _fmt(v["mean_ms"], 1), v["n"]])
    return lines + _table(["step", "p50", "p95", "mean", "n"], rows)


# ---------------------------------------------------------------------------------- SQuAD


def write_squad_outputs(result: dict, out_dir: Path, command: str = "") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = dict(result, command=command)
    failures = []
    for row in result["questions"]:
        for part in ("oracle", "retrieved"):
            r = row[part]
            if not r["correct"]:
                failures.append({"kind": f"squad-{part}", "mode": "ask", "level": "", "id": row["id"], "lang": "de",
                                 "question": row["question"], "expected": " | ".join(row["gold"]),
                                 "got": r["answer"] if r["answer"] is not None else "(abstained)"})
    files = [write_json(summary, out_dir / "results.json"), write_failures(failures, out_dir / "failures.csv")]
    files += write_trec(result["_judged"], out_dir)
    files.append(plot_recall(result["retrieval"], out_dir / "recall_at_k.png", f"{result['set']['name']}: recall@k"))
    report = out_dir / "report.md"
    report.write_text("\n".join(squad_markdown(summary, [f.name for f in files])), encoding="utf-8")
    return [report] + files


def squad_markdown(summary: dict, files: Sequence[str]) -> list[str]:
    s, o, r, ret = summary["set"], summary["oracle"], summary["retrieved"], summary["retrieval"]
    lines = [f"# Answer-step check: {s['name']}", "",
             f"- command: `{summary.get('command') or '(library call)'}`",
             f"- {s['questions']} of {s['questions_total']} questions over {s['paragraphs']} paragraphs; "
             f"the gold answer stands verbatim in the indexed paragraph for {s['gold_verbatim_in_index']}",
             f"- index: {summary['index']['dir']} ({summary['index']['status']}, {summary['index']['passages']} "
             f"passages, {summary['index']['seconds']} s)",
             f"- time: {summary['seconds']['total']} s (oracle {summary['seconds']['oracle']} s, retrieved "
             f"{summary['seconds']['retrieved']} s, retrieval {summary['seconds']['retrieval']} s)", "",
             "## Answers", ""]
    rows = []
    for label, v in (("oracle paragraph (document filter)", o), ("retrieved (whole index)", r)):
        rows.append([label, v["n"], _pct(v["exact_match"]), _pct(v["f1"]), _pct(v["top1_accuracy"]), v["abstained"],
                     _pct(v["offsets"]["share_valid"]), _fmt(v["latency"]["p50_ms"], 1),
                     _fmt(v["latency"]["p95_ms"], 1)])
    lines += _table(["setting", "n", "EM", "F1", "top-1 contains", "abstained", "valid offsets", "p50 ms",
                     "p95 ms"], rows)
    lines += [f"Retrieved: the assistant's top 5 passages hold the gold paragraph for {_pct(r['hit@5_of_ask'])}; "
              f"the top answer comes from the gold paragraph for {_pct(r['answer_in_gold_paragraph'])}.", "",
              f"## Retrieval (document = paragraph, top {ret['depth']})", ""]
    modes = list(ret["modes"])
    lines += _table(["metric", *modes], [[n, *(_fmt(ret["modes"][m]["all"][n]) for m in modes)]
                                         for n in ret["metrics"]])
    lines += _table(["search", "p50 ms", "p95 ms"], [[m, _fmt(ret["modes"][m]["latency"]["p50_ms"], 1),
                                                      _fmt(ret["modes"][m]["latency"]["p95_ms"], 1)] for m in modes])
    lines += ["## Files", ""] + [f"- `{f}`" for f in files] + [""]
    return lines


# ---------------------------------------------------------------------------------- terminal


def summary_lines(summary: dict) -> list[str]:
    """A few lines for the terminal."""
    if summary["set"]["kind"] == "squad":
        o, r = summary["oracle"], summary["retrieved"]
        return [f"{summary['set']['name']}: {o['n']} questions in {summary['seconds']['total']} s",
                f"  oracle paragraph: EM {_pct(o['exact_match'])}, F1 {_pct(o['f1'])}, "
                f"valid offsets {_pct(o['offsets']['share_valid'])}",
                f"  retrieved:        EM {_pct(r['exact_match'])}, F1 {_pct(r['f1'])}, "
                f"hit@5 {_pct(r['hit@5_of_ask'])}"]
    lines = []
    retrieval = summary["retrieval"]
    for level, data in retrieval["levels"].items():
        for mode, values in data["modes"].items():
            lines.append(f"{level:12s} {mode:7s} hit@{FAILURE_K} {_fmt(values['all'].get(f'hit@{FAILURE_K}'))}  "
                         f"mrr@10 {_fmt(values['all']['mrr@10'])}  ndcg@10 {_fmt(values['all']['ndcg@10'])}")
    if "answers" in summary:
        a = summary["answers"]
        lines.append(f"answers: top-1 {_pct(a['all']['top1_accuracy'])}, EM {_pct(a['all']['exact_match'])}, "
                     f"F1 {_pct(a['all']['f1'])}; abstention precision {_fmt(a['abstention']['all']['precision'])}, "
                     f"recall {_fmt(a['abstention']['all']['recall'])}")
    return lines
