"""The assistant: a question (and its conversation) in, extractive answers with citations out.

question ─► conversation.resolve (follow-up → query + filters)
         ─► SearchIndex.search (hybrid)
         ─► AnswerExtractor.extract (typed span or sentence; abstain below the threshold)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import re
import threading
from collections import OrderedDict

from assistant.answer import AnswerExtractor, AnswerSet, TurnContext
from assistant.conversation import (_PERSONAL, _SALUTATION, SessionStore, _looks_like_name,
                                    known_entities, resolve)
from index.pdf import page_of
from index.records import Answer, Filters, Hit
from index.retrieve import SearchIndex

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
MAX_REMEMBERED = 1000  # sessions whose last answer set is kept for follow-ups


@dataclass(frozen=True)
class AskResult:
    question: str
    session_id: str
    query: str
    is_followup: bool
    answer_set: AnswerSet
    hits: list[Hit]

    @property
    def abstained(self) -> bool:
        return self.answer_set.abstained

    @property
    def answers(self) -> list[Answer]:
        return self.answer_set.answers


class Assistant:
    def __init__(self, index: SearchIndex, extractor: AnswerExtractor | None = None,
                 sessions: SessionStore | None = None) -> None:
        self.index = index
        self.extractor = extractor or AnswerExtractor(index)
        self.sessions = sessions or SessionStore()
        self.known_bodies, self.known_committees = known_entities(index.documents.infos())
        self._last: OrderedDict[str, tuple[str, AnswerSet]] = OrderedDict()  # session -> (question, answers)
        self._last_lock = threading.Lock()

    # Sentence vectors are encoded ahead of time for indexes up to this size (the seeds take
    # seconds, once: the vectors persist in the embedding cache); larger ones fill it lazily.
    WARM_SENTENCES_MAX_PASSAGES = 5000

    def warm_up(self) -> None:
        self.index.warm_up()
        if len(self.index.passages) <= self.WARM_SENTENCES_MAX_PASSAGES:
            self.extractor.warm_up_sentences()
        self.ask("Wie viele Stellen sind besetzt?", session_id=None)

    def ask(self, question: str, session_id: str | None = None, top_k: int = 5,
            filters: Filters | None = None) -> AskResult:
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
        filters = filters or Filters()
        session = self.sessions.get(session_id)
        resolution = resolve(session, question, filters, self.known_bodies, self.known_committees)
        search_filters = replace(resolution.filters, include_non_public=filters.include_non_public)
        hits = self.index.search(resolution.query, mode="hybrid", top_k=top_k, filters=search_filters)
        context = self._context(session, question, resolution) if resolution.is_followup else None
        answer_set = self.extractor.extract(resolution.query, hits, context=context)
        with self._last_lock:
            self._last.pop(session.id, None)
            self._last[session.id] = (question, answer_set)
            while len(self._last) > MAX_REMEMBERED:
                self._last.popitem(last=False)
        session.add_turn(question=question, query=resolution.query, filters=resolution.filters,
                         answers=answer_set.answers, hits=hits)
        log.info("ask %r → query %r, %d answers, abstained=%s", question, resolution.query,
                 len(answer_set.answers), answer_set.abstained)
        return AskResult(question, session.id, resolution.query, resolution.is_followup,
                         answer_set, hits)

    def _context(self, session, question: str, resolution) -> TurnContext:
        """The conversation as the answer step sees it: the question as asked, the previous
        turn's analysis and answers, the agenda items that answered it, and the previous answer
        a personal anaphor refers to ("When does he start?" -> "Jan Röder")."""
        last = session.last_turn
        with self._last_lock:
            remembered = self._last.get(session.id)
        previous = None
        answers: tuple = ()
        if remembered is not None and last is not None and remembered[0] == last.question:
            previous = remembered[1].analysis
            answers = tuple(remembered[1].answers)
        entity = None
        words = {w.casefold() for w in re.findall(r"\w+", question)}
        if words & _PERSONAL and last is not None:
            for text in last.answers[:1]:
                name = _SALUTATION.sub("", text).strip()
                if _looks_like_name(name):
                    entity = name
        return TurnContext(question=question, previous=previous, answers=answers,
                           focus_items=resolution.focus_items or (last.agenda_item_ids if last else ()),
                           focus_documents=resolution.focus_documents or (last.document_ids if last else ()),
                           entity=entity, anaphor=bool(words & _PERSONAL))

    # ------------------------------------------------------------------ JSON

    def answer_json(self, answer: Answer) -> dict:
        passage = answer.passage
        document = self.index.documents[passage.document_id]
        item = self.index.items[passage.agenda_item_id]
        return {
            "text": answer.text,
            "score": round(answer.score, 4),
            "document_id": passage.document_id,
            "start": answer.start,
            "end": answer.end,
            "context": answer.context,
            "context_start": answer.context_start,
            "context_end": answer.context_end,
            "agenda_item": item.as_json(),
            "meeting": document.meeting.as_json(),
            "page": page_of(document, answer.start),  # for PDF sources; null otherwise
            "also_in": [self._copy_json(answer, pid) for pid in answer.also_in],
            # "Vorlage 0135/2020", "TOP 21" in the answer's sentence, linked to their targets
            "references": self.index.references.find_json(document, answer.context_start,
                                                          answer.context_end),
        }

    def _copy_json(self, answer: Answer, passage_id: str) -> dict:
        """Where the same answer stands in a duplicate copy (offsets into that document)."""
        copy = self.index.passage_by_id(passage_id)
        text = self.index.documents[copy.document_id].text
        found = text.find(answer.context, copy.start, copy.end + len(answer.context))
        span: dict = {}
        if found >= 0:
            offset = answer.start - answer.context_start
            span = {"start": found + offset, "end": found + offset + len(answer.text)}
        return {"document_id": copy.document_id, "passage_id": copy.id,
                "agenda_item": self.index.items[copy.agenda_item_id].as_json(), **span}

    def result_json(self, result: AskResult) -> dict:
        return {
            "question": result.question,
            "session_id": result.session_id,
            "query": result.query,
            "abstained": result.abstained,
            "answers": [self.answer_json(a) for a in result.answers],
            "passages": [self.index.hit_json(h) for h in result.hits],
        }
