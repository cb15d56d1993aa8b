"""A small OParl 1.1 system, written from the specification, and a real HTTP server for it.

System → Body "Stadt Beispielstadt" → Organization (committee), Meetings with embedded
AgendaItems and Files, Papers with embedded Consultations and Files. Lists are paginated
(``PAGE_SIZE`` entries per page, ``links.next``) and honour ``modified_since`` (objects
modified at or after it, deleted ones included). File contents are served under /files/.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCHEMA = "https://schema.oparl.org/1.1/"
OLD = "2020-09-20T10:00:00+02:00"
PAGE_SIZE = 2

PROTOCOL_TEXT = """Niederschrift

über die 3. Sitzung des Ausschusses für Umwelt und Verkehr am 15.09.2020

Sitzung: öffentlich

Tagesordnungspunkt Ö 1:

Radverkehrskonzept 2030

Frau Berger erläuterte die Vorlage 0135/2020. Das Konzept sieht 14 Kilometer neue Radwege entlang der Hauptstraße und der Ringstraße vor. Die Kosten betragen 2,4 Millionen Euro; das Land fördert 60 Prozent. Herr Yilmaz fragte nach dem Zeitplan; die ersten Abschnitte sollen 2021 gebaut werden.

Beschluss:
Der Ausschuss beschließt das Radverkehrskonzept 2030 in der Fassung der Vorlage 0135/2020.

Sitzung: öffentlich

Tagesordnungspunkt Ö 2:

Lärmaktionsplan, dritte Stufe

Die Verwaltung stellte den Entwurf des Lärmaktionsplans vor. Tempo 30 nachts wird für die Bahnhofstraße vorgeschlagen, wie bereits unter TOP Ö 1 im Zusammenhang mit dem Radverkehr angesprochen. Die Öffentlichkeitsbeteiligung beginnt im Oktober.

Beschluss:
Der Ausschuss nimmt den Entwurf zur Kenntnis.

Sitzung: nicht öffentlich

Tagesordnungspunkt N 3:

Grundstücksangelegenheit Flurstück 412

Die Verwaltung berichtete über die Verhandlungen mit dem Eigentümer.
"""

PAPER_TEXT = ("Vorlage 0135/2020: Radverkehrskonzept 2030\n\nSachverhalt:\nDas Radverkehrskonzept "
              "2030 beschreibt ein Netz von Hauptrouten für den Alltagsradverkehr. Vorgesehen sind "
              "14 Kilometer neue Radwege und 300 zusätzliche Fahrradabstellplätze an den Bahnhöfen.\n\n"
              "Beschlussvorschlag:\nDer Ausschuss beschließt das Radverkehrskonzept 2030.")

RESOLUTION_PDF_LINES = [
    "Auszug aus der Niederschrift",
    "",
    "Ausschuss für Umwelt und Verkehr, 3. Sitzung am 15.09.2020",
    "",
    "TOP Ö 1: Radverkehrskonzept 2030",
    "",
    "Der Ausschuss beschließt das Radverkehrskonzept 2030 in der Fassung der",
    "Vorlage 0135/2020. Die Verwaltung wird beauftragt, die Förderanträge beim",
    "Land bis zum 30.11.2020 zu stellen.",
]


def make_pdf(lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = 800
    for line in lines:
        if line:
            pdf.drawString(60, y, line)
        y -= 16 if line else 24
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_scanned_pdf() -> bytes:
    """A PDF with a picture-like drawing and no text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.rect(50, 50, 400, 600, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def build_system(base: str) -> dict[str, dict]:
    """Every object of the fixture system by id (embedded objects inside their parents)."""
    b = f"{base}/oparl/v1"
    body = f"{b}/body/1"
    org = f"{body}/organization/7"

    def file(n: int, **fields) -> dict:
        return {"id": f"{b}/file/{n}", "type": SCHEMA + "File", "modified": OLD, **fields}

    item1 = {"id": f"{b}/agendaitem/101", "type": SCHEMA + "AgendaItem", "meeting": f"{b}/meeting/281",
             "number": "Ö 1", "order": 1, "name": "Radverkehrskonzept 2030", "public": True,
             "consultation": f"{b}/consultation/501", "result": "ungeändert beschlossen",
             "resolutionText": "Der Ausschuss beschließt das Radverkehrskonzept 2030 in der "
                               "Fassung der Vorlage 0135/2020.",
             "resolutionFile": file(11, name="Beschlussauszug TOP Ö 1", fileName="auszug-101.pdf",
                                    mimeType="application/pdf",
                                    accessUrl=f"{base}/files/auszug-101.pdf"),
             "auxiliaryFile": [file(12, name="Anlage Kostenschätzung (Scan)", mimeType="application/pdf",
                                    accessUrl=f"{base}/files/scan-12.pdf"),
                               file(14, name="Vorlage 0135/2020 (Kopie)", mimeType="text/plain",
                                    text=PAPER_TEXT, accessUrl=f"{base}/files/copy-14.txt")],
             "modified": OLD}
    item2 = {"id": f"{b}/agendaitem/102", "type": SCHEMA + "AgendaItem", "meeting": f"{b}/meeting/281",
             "number": "Ö 2", "order": 2, "name": "Lärmaktionsplan, dritte Stufe", "public": True,
             "result": "zur Kenntnis genommen",
             "resolutionText": "Der Ausschuss nimmt den Entwurf des Lärmaktionsplans zur Kenntnis "
                               "und bittet um Prüfung von Tempo 30 nachts in der Bahnhofstraße.",
             "modified": OLD}
    item3 = {"id": f"{b}/agendaitem/103", "type": SCHEMA + "AgendaItem", "meeting": f"{b}/meeting/281",
             "number": "N 3", "order": 3, "name": "Grundstücksangelegenheit Flurstück 412",
             "public": False, "resolutionText": "Der Ausschuss stimmt dem Ankauf zu.", "modified": OLD}
    meeting = {"id": f"{b}/meeting/281", "type": SCHEMA + "Meeting",
               "name": "3. Sitzung des Ausschusses für Umwelt und Verkehr",
               "start": "2020-09-15T17:00:00+02:00", "organization": [org],
               "verbatimProtocol": file(10, name="Niederschrift", mimeType="text/plain",
                                        text=PROTOCOL_TEXT, accessUrl=f"{base}/files/protokoll-10.txt"),
               "agendaItem": [item1, item2, item3], "modified": OLD}
    later = {"id": f"{b}/meeting/282", "type": SCHEMA + "Meeting",
             "name": "4. Sitzung des Ausschusses für Umwelt und Verkehr",
             "start": "2020-11-10T17:00:00+01:00", "organization": [org],
             "agendaItem": [{"id": f"{b}/agendaitem/201", "type": SCHEMA + "AgendaItem",
                             "meeting": f"{b}/meeting/282", "number": "Ö 1", "order": 1,
                             "name": "Winterdienst auf Radwegen", "public": True,
                             "result": "einstimmig beschlossen",
                             "resolutionText": "Der Ausschuss beschließt, die Radwege der "
                                               "Hauptrouten im Winterdienst vorrangig zu räumen.",
                             "modified": OLD}],
             "modified": OLD}
    broken = {"type": SCHEMA + "Meeting", "name": "Sitzung ohne id", "modified": OLD}
    wrong_field = {"id": f"{b}/meeting/283", "type": SCHEMA + "Meeting", "name": "5. Sitzung",
                   "start": 20201201, "organization": [org], "agendaItem": "keine Liste",
                   "modified": OLD}
    paper = {"id": f"{b}/paper/601", "type": SCHEMA + "Paper", "body": body,
             "name": "Radverkehrskonzept 2030", "reference": "0135/2020", "date": "2020-08-28",
             "paperType": "Beschlussvorlage", "underDirectionOf": [org],
             "mainFile": file(13, name="Vorlage 0135/2020", mimeType="text/plain", text=PAPER_TEXT,
                              accessUrl=f"{base}/files/vorlage-13.txt"),
             "consultation": [{"id": f"{b}/consultation/501", "type": SCHEMA + "Consultation",
                               "paper": f"{b}/paper/601", "agendaItem": f"{b}/agendaitem/101",
                               "meeting": f"{b}/meeting/281", "role": "Entscheidung",
                               "modified": OLD}],
             "modified": OLD}
    organization = {"id": org, "type": SCHEMA + "Organization", "body": body,
                    "name": "Ausschuss für Umwelt und Verkehr", "shortName": "UVA",
                    "organizationType": "Gremium", "modified": OLD}
    body_obj = {"id": body, "type": SCHEMA + "Body", "system": f"{b}/system",
                "name": "Stadt Beispielstadt", "shortName": "Beispielstadt",
                "organization": f"{body}/organizations", "meeting": f"{body}/meetings",
                "paper": f"{body}/papers", "person": f"{body}/people", "modified": OLD}
    system = {"id": f"{b}/system", "type": SCHEMA + "System", "oparlVersion": SCHEMA.rstrip("/"),
              "body": f"{b}/bodies", "name": "Ratsinformationssystem Beispielstadt"}
    return {"system": system, "bodies": [body_obj], "organizations": [organization],
            "meetings": [meeting, broken, later, wrong_field], "papers": [paper], "people": []}


class OParlServer:
    """The fixture system over real HTTP on 127.0.0.1, in a thread; mutable between requests."""

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.data = build_system(self.base)
        self.files = {"auszug-101.pdf": make_pdf(RESOLUTION_PDF_LINES), "scan-12.pdf": make_scanned_pdf()}
        self.requests: list[str] = []  # paths with queries, in order
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.base}/oparl/v1/system"

    def __enter__(self) -> "OParlServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def touch(self, obj: dict) -> None:
        """Mark an object as modified now (as a server does on every change)."""
        obj["modified"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    def meeting(self, number: int) -> dict:
        return next(m for m in self.data["meetings"] if m.get("id", "").endswith(f"/meeting/{number}"))

    def _page(self, name: str, query: dict) -> dict:
        entries = self.data[name]
        since = query.get("modified_since")
        if since:
            limit = dt.datetime.fromisoformat(since)
            entries = [e for e in entries if "modified" not in e
                       or dt.datetime.fromisoformat(e["modified"]) >= limit]
        page = int(query.get("page", 1))
        chunk = entries[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        links = {}
        if page * PAGE_SIZE < len(entries):
            params = {**query, "page": str(page + 1)}
            links["next"] = f"{self.base}/oparl/v1/body/1/{name}?{urllib.parse.urlencode(params)}"
        return {"data": copy.deepcopy(chunk), "pagination": {"totalElements": len(entries)},
                "links": links}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                path = parts.path
                if path.startswith("/files/") and path[7:] in server.files:
                    return self._send(server.files[path[7:]], "application/pdf")
                if path == "/oparl/v1/system":
                    return self._json(server.data["system"])
                if path == "/oparl/v1/bodies":
                    return self._json({"data": server.data["bodies"], "links": {}})
                name = path.rsplit("/", 1)[-1]
                if path.startswith("/oparl/v1/body/1/") and name in server.data:
                    return self._json(server._page(name, query))
                self._send(b'{"error": "not found"}', "application/json", 404)

            def _json(self, data) -> None:
                self._send(json.dumps(data, ensure_ascii=False).encode(), "application/json")

            def _send(self, raw: bytes, mime: str, status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler
