"""Question-set formats, detected by content: our JSONL, TREC topics + qrels, BEIR folders, SQuAD.

All loaders return an ``EvalSet``: questions (``eval.questions.Question``), conversations, and
for external benchmarks the judgments (``qrels``: query id → unit id → relevance) and the
corpus to index. See eval/README.md for the formats.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from eval.questions import Conversation, Question, load_jsonl
from index.config import PROJECT_ROOT
from index.language import guess_language

XQUAD_DE = PROJECT_ROOT.parent / "shared" / "corpora" / "xquad_de" / "xquad.de.json"
_SNIFF_BYTES = 65536


class FormatError(ValueError):
    """A question set that cannot be read; the message says why."""


@dataclass(frozen=True)
class CorpusDoc:
    id: str
    text: str
    title: str = ""


@dataclass
class EvalSet:
    name: str
    kind: str  # "jsonl", "trec", "beir"
    questions: list[Question] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    qrels: dict[str, dict[str, int]] | None = None  # external judgments; None: derive from gold
    corpus: list[CorpusDoc] | None = None  # documents to index first (BEIR, TREC with a corpus)
    corpus_dir: Path | None = None  # or a folder of .txt/.md/.html files to index as it is
    sources: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------------------------- sniffing


def _head(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read(_SNIFF_BYTES)


def _first_lines(path: Path, count: int = 20) -> list[str]:
    lines = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                lines.append(line.rstrip("\n"))
                if len(lines) == count:
                    break
    return lines


def sniff(path: Path) -> str:
    """What a file holds: 'questions', 'beir-corpus', 'beir-queries', 'beir-qrels', 'squad',
    'trec-topics', 'trec-docs', 'qrels', 'tsv-topics' or 'unknown'."""
    head = _head(path).lstrip("\ufeff")
    stripped = head.lstrip()
    if stripped.startswith("{"):
        first = stripped.split("\n", 1)[0]
        try:
            data = json.loads(first)
        except json.JSONDecodeError:
            return "squad" if '"paragraphs"' in head and '"qas"' in head else "unknown"
        if "question" in data or "turns" in data:
            return "questions"
        if "_id" in data and "text" in data:
            return "beir-corpus" if "title" in data or path.stem.startswith("corpus") else "beir-queries"
        if "data" in data:
            return "squad"
        return "unknown"
    if re.search(r"<top>", head, re.IGNORECASE):
        return "trec-topics"
    if re.search(r"<DOC>", head):
        return "trec-docs"
    lines = _first_lines(path)
    if not lines:
        return "unknown"
    if lines[0].lower().replace(" ", "").startswith("query-id\tcorpus-id"):
        return "beir-qrels"
    if all(len(ln.split()) == 4 and _is_int(ln.split()[3]) for ln in lines):
        return "qrels"
    if all("\t" in ln for ln in lines):
        return "tsv-topics"
    return "unknown"


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------- readers


def read_trec_topics(path: Path, field_name: str = "title") -> dict[str, str]:
    """Classic TREC SGML topics (``<top> <num> Number: 301 <title> … <desc> Description: …
    </top>``, closing tags optional) or a ``qid<TAB>query`` TSV. ``field_name`` picks the
    query text: 'title', 'desc' or 'title+desc'."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if not re.search(r"<top>", text, re.IGNORECASE):
        return read_tsv_topics(path)
    topics: dict[str, str] = {}
    for block in re.findall(r"<top>(.*?)(?:</top>|(?=<top>)|\Z)", text, re.IGNORECASE | re.DOTALL):
        fields: dict[str, str] = {}
        for match in re.finditer(r"<(\w+)>(.*?)(?=<\/?\w+>|\Z)", block, re.DOTALL):
            fields.setdefault(match.group(1).lower(), " ".join(match.group(2).split()))
        number = re.sub(r"^(?:Number|Nummer)\s*:\s*", "", fields.get("num", ""), flags=re.IGNORECASE).strip()
        title = re.sub(r"^Topic\s*:\s*", "", fields.get("title", ""), flags=re.IGNORECASE).strip()
        desc = re.sub(r"^Description\s*:\s*", "", fields.get("desc", ""), flags=re.IGNORECASE).strip()
        query = {"title": title, "desc": desc or title,
                 "title+desc": f"{title} {desc}".strip()}.get(field_name)
        if query is None:
            raise FormatError(f"unknown topic field {field_name!r} (title, desc, title+desc)")
        if not number or not query:
            raise FormatError(f"{path}: a topic without <num> or query text: {block[:80]!r}")
        topics[number] = query
    if not topics:
        raise FormatError(f"{path}: no <top> topics found")
    return topics


def read_tsv_topics(path: Path) -> dict[str, str]:
    topics: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t", 1)
        if len(parts) != 2 or not parts[1].strip():
            raise FormatError(f"{path}:{number}: expected 'qid<TAB>query'")
        topics[parts[0].strip()] = parts[1].strip()
    return topics


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC qrels: ``qid iteration docid relevance`` per line (whitespace-separated)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4 or not _is_int(parts[3]):
            raise FormatError(f"{path}:{number}: expected 'qid 0 docid relevance'")
        qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


def read_beir_qrels(path: Path) -> dict[str, dict[str, int]]:
    """BEIR ``qrels/<split>.tsv``: a header ``query-id corpus-id score``, then one row each."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if not header or [h.strip() for h in header[:2]] != ["query-id", "corpus-id"]:
            raise FormatError(f"{path}: expected the header 'query-id<TAB>corpus-id<TAB>score'")
        for row in reader:
            if not row:
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def read_beir_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise FormatError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return rows


def read_beir_corpus(path: Path) -> list[CorpusDoc]:
    return [CorpusDoc(str(r["_id"]), str(r.get("text") or ""), str(r.get("title") or ""))
            for r in read_beir_jsonl(path)]


def read_trec_docs(path: Path) -> list[CorpusDoc]:
    """TREC SGML documents: ``<DOC><DOCNO>id</DOCNO> … <TEXT>…</TEXT></DOC>``."""
    docs = []
    for block in re.findall(r"<DOC>(.*?)</DOC>", path.read_text(encoding="utf-8", errors="replace"),
                            re.DOTALL):
        number = re.search(r"<DOCNO>\s*(.*?)\s*</DOCNO>", block, re.DOTALL)
        if not number:
            raise FormatError(f"{path}: a <DOC> without <DOCNO>")
        title = re.search(r"<(?:TITLE|HEADLINE)>(.*?)</(?:TITLE|HEADLINE)>", block, re.DOTALL)
        texts = re.findall(r"<TEXT>(.*?)</TEXT>", block, re.DOTALL)
        body = "\n\n".join(t.strip() for t in texts) if texts else re.sub(r"<[^>]+>", " ", block)
        docs.append(CorpusDoc(number.group(1), body.strip(), title.group(1).strip() if title else ""))
    return docs


def _topic_questions(topics: dict[str, str], qrels: dict[str, dict[str, int]]) -> list[Question]:
    """Questions for the topics that have judgments (as trec_eval and BEIR evaluate)."""
    questions = []
    for qid, text in topics.items():
        if qid in qrels:
            questions.append(Question(id=qid, question=text, lang=guess_language(text)))
    return questions


# ---------------------------------------------------------------------------------- loading


def load_beir(folder: Path, split: str = "test") -> EvalSet:
    qrels_path = folder / "qrels" / f"{split}.tsv"
    for needed in (folder / "corpus.jsonl", folder / "queries.jsonl", qrels_path):
        if not needed.exists():
            raise FormatError(f"{folder}: a BEIR folder needs corpus.jsonl, queries.jsonl and "
                              f"qrels/{split}.tsv ({needed.name} is missing)")
    qrels = read_beir_qrels(qrels_path)
    topics = {str(r["_id"]): str(r["text"]) for r in read_beir_jsonl(folder / "queries.jsonl")}
    missing = sorted(set(qrels) - set(topics))
    if missing:
        raise FormatError(f"{qrels_path}: query ids without a query: {', '.join(missing[:5])}")
    return EvalSet(name=folder.name, kind="beir", questions=_topic_questions(topics, qrels),
                   qrels=qrels, corpus=read_beir_corpus(folder / "corpus.jsonl"), sources=[folder])


def load_eval_set(paths: list[Path], split: str = "test", topic_field: str = "title",
                  corpus: Path | None = None) -> EvalSet:
    """Read a question set from files or a folder, detecting the format by content.

    * JSONL question files (one or more; conversations included);
    * a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv);
    * TREC topics (SGML or TSV) with TREC qrels, as two files or a folder holding them,
      optionally with documents (TREC ``<DOC>`` SGML, BEIR corpus.jsonl) to index; without
      documents the qrels must name ids of the index that is evaluated.
    """
    if not paths:
        raise FormatError("no question set given")
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise FormatError(f"{path}: no such file or directory")
        if path.is_dir():
            if (path / "corpus.jsonl").exists() and (path / "queries.jsonl").exists():
                if len(paths) > 1:
                    raise FormatError("a BEIR folder is a question set of its own")
                return load_beir(path, split)
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                                and p.suffix.lower() not in (".md", ".py", ".gz")))
        else:
            files.append(path)
    kinds = {f: sniff(f) for f in files}
    by_kind: dict[str, list[Path]] = {}
    for f, kind in kinds.items():
        by_kind.setdefault(kind, []).append(f)
    name = paths[0].stem if len(paths) == 1 else "+".join(p.stem for p in paths)

    if "questions" in by_kind:
        others = set(by_kind) - {"questions", "unknown"}
        if others:
            raise FormatError(f"JSONL question files cannot be mixed with {', '.join(sorted(others))}")
        questions: list[Question] = []
        conversations: list[Conversation] = []
        for f in by_kind["questions"]:
            singles, convs = load_jsonl(f)
            questions += singles
            conversations += convs
        ids = [q.id for q in questions] + [c.id for c in conversations]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise FormatError(f"question ids used twice: {', '.join(duplicates[:10])}")
        return EvalSet(name=name, kind="jsonl", questions=questions, conversations=conversations,
                       sources=by_kind["questions"])

    topic_files = by_kind.get("trec-topics", []) + by_kind.get("tsv-topics", []) + by_kind.get("beir-queries", [])
    qrels_files = by_kind.get("qrels", []) + by_kind.get("beir-qrels", [])
    if topic_files and qrels_files:
        topics: dict[str, str] = {}
        for f in topic_files:
            if kinds[f] == "beir-queries":
                topics.update({str(r["_id"]): str(r["text"]) for r in read_beir_jsonl(f)})
            else:
                topics.update(read_trec_topics(f, topic_field))
        qrels: dict[str, dict[str, int]] = {}
        for f in qrels_files:
            for qid, judged in (read_beir_qrels(f) if kinds[f] == "beir-qrels" else read_qrels(f)).items():
                qrels.setdefault(qid, {}).update(judged)
        docs: list[CorpusDoc] | None = None
        doc_files = by_kind.get("trec-docs", []) + by_kind.get("beir-corpus", [])
        if doc_files:
            docs = [d for f in doc_files for d in (read_trec_docs(f) if kinds[f] == "trec-docs"
                                                    else read_beir_corpus(f))]
        corpus_dir = None
        if corpus is not None and corpus.is_dir():
            corpus_dir = corpus
        elif corpus is not None:
            docs = (docs or []) + load_corpus(corpus)
        return EvalSet(name=name, kind="trec", questions=_topic_questions(topics, qrels), qrels=qrels,
                       corpus=docs, corpus_dir=corpus_dir, sources=topic_files + qrels_files + doc_files)
    if "squad" in by_kind:
        raise FormatError(f"{by_kind['squad'][0]} is a SQuAD file: evaluate it with `eval xquad` / "
                          "eval.squad (answer-step check), not as a retrieval question set")
    found = ", ".join(f"{f.name}: {k}" for f, k in kinds.items())
    raise FormatError(f"cannot tell the question-set format ({found}); expected JSONL questions, a "
                      "BEIR folder, or TREC topics with qrels")


def load_corpus(path: Path) -> list[CorpusDoc]:
    """Documents to index from a BEIR corpus.jsonl or a TREC ``<DOC>`` file (a folder of .txt,
    .md or .html files is indexed as it is, by ``index.build``: see ``EvalSet.corpus_dir``)."""
    kind = sniff(path) if path.is_file() else "folder"
    if kind == "beir-corpus":
        return read_beir_corpus(path)
    if kind == "trec-docs":
        return read_trec_docs(path)
    raise FormatError(f"{path}: not a BEIR corpus.jsonl or TREC <DOC> file")
