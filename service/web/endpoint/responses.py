"""Answers ready to send: the serialised bytes with their headers, the cache of the latest ones
(keyed by the dataset version), and the response that sends one."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from dakg.store.dataset import Dataset
from dakg.web import caching, deps
from fastapi import Request
from fastapi.responses import Response


@dataclass(frozen=True)
class Answer:
    """A serialised answer, ready to send (with the headers of its own it needs, if any)."""

    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class AnswerCache:
    """The latest answers, by request and dataset version: an LRU bounded in entries and bytes."""

    def __init__(self, entries: int, max_bytes: int):
        self.entries = entries
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._answers: OrderedDict[tuple, Answer] = OrderedDict()

    def get(self, key: tuple) -> Answer | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return answer

    def put(self, key: tuple, answer: Answer) -> None:
        """Keep an answer unless it alone would take more than an eighth of the budget."""
        if self.entries <= 0 or len(answer.body) > self.max_bytes // 8 or key in self._answers:
            return
        self._answers[key] = answer
        self.size += len(answer.body)
        while len(self._answers) > self.entries or self.size > self.max_bytes:
            _, dropped = self._answers.popitem(last=False)
            self.size -= len(dropped.body)

    def clear(self) -> None:
        self._answers.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._answers)


def answer_headers(request: Request, etag: str, dataset: Dataset) -> dict[str, str]:
    headers = {"etag": etag, "cache-control": deps.cache_control(request), "vary": "Accept"}
    if dataset.modified is not None:
        headers["last-modified"] = caching.http_date(dataset.modified)
    return headers


def send(request: Request, answer: Answer, etag: str, dataset: Dataset) -> Response:
    return AnswerResponse(answer, etag, deps.cache_control(request), dataset.modified)


class AnswerResponse(Response):
    """A 200 with an answer's bytes, its headers built as they are sent (the commonest response:
    Starlette's own would check and encode each header again)."""

    def __init__(self, answer: Answer, etag: str, cache_control: str, modified: float | None):
        self.status_code = 200
        self.body = answer.body
        self.background = None
        self.raw_headers = [
            (b"content-length", str(len(answer.body)).encode()),
            (b"content-type", answer.content_type.encode("latin-1")),
            (b"etag", etag.encode("latin-1")),
            (b"cache-control", cache_control.encode("latin-1")),
            (b"vary", b"Accept"),
        ]
        if modified is not None:
            self.raw_headers.append(
                (b"last-modified", caching.http_date(modified).encode("latin-1"))
            )
