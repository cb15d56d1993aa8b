"""Where OParl objects come from: an endpoint over HTTP, or a folder dump of its JSON.

Both give the same thing: every object they hold (lists paginated with ``links.next`` are
followed to the end; embedded objects are returned inside their parents) and the bytes of a
File's content. Nothing here interprets the objects beyond finding the lists to walk.
"""
from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

log = logging.getLogger(__name__)

# lists of a Body that hold objects we use (agendaItem, consultation and file are OParl 1.1)
BODY_LISTS = ("organization", "meeting", "paper", "agendaItem", "consultation", "file")
TIMEOUT_S = 30
MAX_PAGES = 100_000  # per list; a guard against a server whose next links never end
CONTENTS_DIR = "file-contents"


class OParlSourceError(RuntimeError):
    """The source cannot be read at all (unreachable, not OParl); the message says why."""


def type_name(obj: dict) -> str:
    """'https://schema.oparl.org/1.1/Meeting' → 'Meeting' ('' when there is no type)."""
    value = obj.get("type")
    return value.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) else ""


def file_keys(file_obj: dict) -> list[str]:
    """Names a dump may use for a File's content: the last segment of its id, the whole id
    with unsafe characters replaced, and its fileName."""
    file_id = str(file_obj.get("id", ""))
    keys = [file_id.rstrip("/").rsplit("/", 1)[-1], re.sub(r"[^\w.-]+", "_", file_id)]
    if isinstance(file_obj.get("fileName"), str):
        keys.append(Path(file_obj["fileName"]).name)
    return [k for k in dict.fromkeys(keys) if k]


@dataclass
class Fetched:
    """What one read of a source gave: objects, and problems that did not stop it."""

    objects: list = field(default_factory=list)  # raw entries; validated by the caller
    problems: list[str] = field(default_factory=list)
    complete: bool = True  # False when a list could not be read to its end


ProgressCallback = Callable[[int], None]  # pages (or files) read so far


class HttpSource:
    """An OParl endpoint: the System (or a Body) URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.key = url.rstrip("/")

    def _get_json(self, url: str):
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise OParlSourceError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise OParlSourceError(f"{url}: cannot be reached ({reason})") from exc
        try:
            return json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise OParlSourceError(f"{url}: the response is not JSON ({exc})") from exc

    def fetch(self, modified_since: str | None = None,
              on_progress: ProgressCallback | None = None) -> Fetched:
        root = self._get_json(self.url)
        if not isinstance(root, dict) or type_name(root) not in ("System", "Body"):
            raise OParlSourceError(f"{self.url}: not an OParl System or Body object "
                                   f"(type {root.get('type') if isinstance(root, dict) else None!r})")
        fetched = Fetched(objects=[root])
        bodies = [root] if type_name(root) == "Body" else []
        if type_name(root) == "System":
            if not isinstance(root.get("body"), str):
                raise OParlSourceError(f"{self.url}: the System has no body list")
            bodies = [b for b in self._walk(root["body"], None, fetched, on_progress)
                      if isinstance(b, dict)]
            fetched.objects.extend(bodies)
        for body in bodies:
            for name in BODY_LISTS:
                url = body.get(name)
                if isinstance(url, str):
                    fetched.objects.extend(self._walk(url, modified_since, fetched, on_progress))
        return fetched

    def _walk(self, url: str, modified_since: str | None, fetched: Fetched,
              on_progress: ProgressCallback | None) -> Iterator:
        """Every entry of a paginated list, following ``links.next``."""
        if modified_since and "modified_since=" not in url:
            url = _with_param(url, "modified_since", modified_since)
        seen: set[str] = set()
        pages = 0
        while url and url not in seen and pages < MAX_PAGES:
            seen.add(url)
            try:
                page = self._get_json(url)
            except OParlSourceError as exc:
                fetched.problems.append(f"list page skipped: {exc}")
                fetched.complete = False
                return
            pages += 1
            if on_progress:
                on_progress(1)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                fetched.problems.append(f"{url}: not an OParl list (no 'data' array); skipped")
                fetched.complete = False
                return
            yield from page["data"]
            links = page.get("links") if isinstance(page.get("links"), dict) else {}
            url = links.get("next") if isinstance(links.get("next"), str) else None

    def file_bytes(self, file_obj: dict) -> bytes | None:
        """The File's content from its accessUrl (or downloadUrl); None when it has none."""
        for key in ("accessUrl", "downloadUrl"):
            url = file_obj.get(key)
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                request = urllib.request.Request(url)
                try:
                    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                        return response.read()
                except (urllib.error.URLError, OSError) as exc:
                    raise OParlSourceError(f"{url}: cannot be downloaded ({exc})") from exc
        return None

    def file_text(self, file_obj: dict) -> str | None:
        return None  # an endpoint has no side folder of texts


class DumpSource:
    """A folder of OParl JSON files: single objects, list pages or arrays of objects, with
    File contents in ``file-contents/<id>.txt`` (or ``.pdf``, or the File's fileName)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = str(folder.resolve())

    def fetch(self, modified_since: str | None = None,
              on_progress: ProgressCallback | None = None) -> Fetched:
        fetched = Fetched()
        files = sorted(p for p in self.folder.rglob("*.json")
                       if CONTENTS_DIR not in p.relative_to(self.folder).parts)
        if not files:
            raise OParlSourceError(f"{self.folder}: no OParl JSON files (*.json) in this folder")
        for path in files:
            if on_progress:
                on_progress(1)
            try:
                data = json.loads(path.read_text(encoding="utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                fetched.problems.append(f"{path.name}: not valid JSON ({exc}); skipped")
                continue
            if isinstance(data, dict) and isinstance(data.get("data"), list):
                fetched.objects.extend(data["data"])
            elif isinstance(data, list):
                fetched.objects.extend(data)
            else:
                fetched.objects.append(data)
        if not any(isinstance(o, dict) and type_name(o) in ("System", "Body", "Meeting", "Paper")
                   for o in fetched.objects):
            raise OParlSourceError(f"{self.folder}: no OParl System, Body, Meeting or Paper object "
                                   "in its JSON files")
        return fetched

    def _local(self, file_obj: dict, suffixes: tuple[str, ...]) -> Path | None:
        contents = self.folder / CONTENTS_DIR
        for key in file_keys(file_obj):
            for candidate in [contents / key] + [contents / f"{key}{s}" for s in suffixes]:
                if candidate.is_file() and candidate.suffix.lower() in suffixes:
                    return candidate
        return None

    def file_text(self, file_obj: dict) -> str | None:
        path = self._local(file_obj, (".txt",))
        return path.read_text(encoding="utf-8-sig", errors="replace") if path else None

    def file_bytes(self, file_obj: dict) -> bytes | None:
        path = self._local(file_obj, (".pdf", ".html", ".htm"))
        if path:
            return path.read_bytes()
        for key in ("accessUrl", "downloadUrl"):  # a relative path or file: URL into the dump
            url = file_obj.get(key)
            if isinstance(url, str) and not url.startswith(("http://", "https://")):
                local = self.folder / urllib.parse.urlparse(url).path.lstrip("/")
                if local.is_file():
                    return local.read_bytes()
        return None


def open_source(source: str) -> HttpSource | DumpSource:
    if source.startswith(("http://", "https://")):
        return HttpSource(source)
    folder = Path(source)
    if not folder.is_dir():
        raise OParlSourceError(f"{source}: neither an http(s) URL nor a folder")
    return DumpSource(folder)


def _with_param(url: str, name: str, value: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query.append((name, value))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
