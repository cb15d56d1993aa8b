"""Tests for index.sentences.split_sentences.

Expected splits use sentences copied verbatim from the seed minutes (test_seed_passages_are_real
checks that they are there). Abbreviations that the seeds do not contain ("Hr.", "z. B.", "Nr.",
"Mio." …) are tested on seed sentences with the abbreviation put in; those are marked
"adapted".
"""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from index.sentences import split_sentences

SEED_DIR = Path(__file__).resolve().parents[2] / "seeds"
SEEDS = {path.name: path.read_text(encoding="utf-8") for path in sorted(SEED_DIR.glob("*.txt"))}


def sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, start, end)]


def seed(prefix: str) -> str:
    (text,) = [text for name, text in SEEDS.items() if name.startswith(prefix)]
    return text


# Real seed passages and how they must be split.
SEED_CASES: dict[str, tuple[str, list[str]]] = {
    "Dr.": (
        "Herr Dr. Ziemons wies ergänzend zur Verwaltungsvorlage darauf hin, dass das Kommunale "
        "Integrationsmanagement (KIM) die Integration von Menschen mit Fluchtgeschichte oder "
        "Migrationshintergrund weiter voranbringen und die Strukturen der Integrationsarbeit in "
        "NRW deutlich verbessern werde.\nZum ersten Mal werde eine rechtskreisübergreifende "
        "Stelle eingerichtet",
        [
            "Herr Dr. Ziemons wies ergänzend zur Verwaltungsvorlage darauf hin, dass das "
            "Kommunale Integrationsmanagement (KIM) die Integration von Menschen mit "
            "Fluchtgeschichte oder Migrationshintergrund weiter voranbringen und die Strukturen "
            "der Integrationsarbeit in NRW deutlich verbessern werde.",
            "Zum ersten Mal werde eine rechtskreisübergreifende Stelle eingerichtet",
        ],
    ),
    "Dr. before a name": (
        "Vor Eintritt in die Beratung stellt Ausschussvorsitzender Dr. Kehren die vorliegende "
        "Tagesordnung, die ordnungsgemäße Einberufung und die Beschlussfähigkeit fest.",
        [
            "Vor Eintritt in die Beratung stellt Ausschussvorsitzender Dr. Kehren die "
            "vorliegende Tagesordnung, die ordnungsgemäße Einberufung und die "
            "Beschlussfähigkeit fest."
        ],
    ),
    "bzgl. and usw. mid-sentence": (
        "Ebenso wurde die Google-Translate Funktion des Portals um die Sprache Ukrainisch "
        "ergänzt. Aktuell erhält das Kommunale Integrationszentrum (KI) in großer Zahl Anfragen "
        "bzgl. geflüchteter Menschen aus der Ukraine zu diversen Themen (Wohnsituation, "
        "Beschulung, Sprachkurse usw.), diese werden im KI bearbeitet oder an die "
        "entsprechenden Stellen weitervermittelt.",
        [
            "Ebenso wurde die Google-Translate Funktion des Portals um die Sprache Ukrainisch "
            "ergänzt.",
            "Aktuell erhält das Kommunale Integrationszentrum (KI) in großer Zahl Anfragen "
            "bzgl. geflüchteter Menschen aus der Ukraine zu diversen Themen (Wohnsituation, "
            "Beschulung, Sprachkurse usw.), diese werden im KI bearbeitet oder an die "
            "entsprechenden Stellen weitervermittelt.",
        ],
    ),
    "u. a. and o.g.": (
        "Die 1,5 Personalstellen des Kreises Heinsberg sowie die Teilhabemanagementstelle des "
        "DRK gehen nahtlos ins KIM über, um die bedeutsame Zielgruppe der 18- bis 27-jährigen "
        "Geflüchteten mit einer Aufenthaltsgestattung oder Duldung weiterhin zu erreichen. Die "
        "übrigen Förderbausteine 1 bis 5 (u. a. Coaching durch die VHS) der o.g. "
        "Landesinitiativen wurden bis zum 30.06.2023 verlängert.",
        [
            "Die 1,5 Personalstellen des Kreises Heinsberg sowie die Teilhabemanagementstelle "
            "des DRK gehen nahtlos ins KIM über, um die bedeutsame Zielgruppe der 18- bis "
            "27-jährigen Geflüchteten mit einer Aufenthaltsgestattung oder Duldung weiterhin "
            "zu erreichen.",
            "Die übrigen Förderbausteine 1 bis 5 (u. a. Coaching durch die VHS) der o.g. "
            "Landesinitiativen wurden bis zum 30.06.2023 verlängert.",
        ],
    ),
    "bzw.": (
        "Herr Dr. Ziemons räumte ein, dass die Pandemie zwei Bevölkerungsgruppen stärker in den "
        "Blick genommen hätte als andere, nämlich ältere Menschen bzw. Risikogruppen sowie "
        "Menschen auch aus anderen kulturellen Zusammenhängen in prekären Lebensverhältnissen. "
        "Die Situation in den Internationalen Förderklassen sei herausfordernd;",
        [
            "Herr Dr. Ziemons räumte ein, dass die Pandemie zwei Bevölkerungsgruppen stärker in "
            "den Blick genommen hätte als andere, nämlich ältere Menschen bzw. Risikogruppen "
            "sowie Menschen auch aus anderen kulturellen Zusammenhängen in prekären "
            "Lebensverhältnissen.",
            "Die Situation in den Internationalen Förderklassen sei herausfordernd;",
        ],
    ),
    "bzw. before the sentence end": (
        "Die Verwaltung wurde gebeten, in dieser Sitzung über die Strukturen im Bereich Pflege "
        "im Kreis Heinsberg zu berichten und vorhandene, generationenübergreifende Aktivitäten "
        "zu erfragen bzw. zu benennen. Der Beirat erwägt, eigene Ortstermine durchzuführen,",
        [
            "Die Verwaltung wurde gebeten, in dieser Sitzung über die Strukturen im Bereich "
            "Pflege im Kreis Heinsberg zu berichten und vorhandene, generationenübergreifende "
            "Aktivitäten zu erfragen bzw. zu benennen.",
            "Der Beirat erwägt, eigene Ortstermine durchzuführen,",
        ],
    ),
    "ggf.": (
        "Da derzeit somit nicht gesichert ist, dass die Förderung auch in den Folgejahren "
        "fortgesetzt wird, beabsichtigt die Verwaltung vor dem Hintergrund des getroffenen "
        "Beschlusses und der ggf. erforderlichen Anpassung an die Bedarfssituation, die "
        "bestehende Leistungs- Vergütungs- und Qualitätsvereinbarung **vorsorglich** "
        "fristgemäß bis zum 30.06.2022 zu kündigen.",
        [
            "Da derzeit somit nicht gesichert ist, dass die Förderung auch in den Folgejahren "
            "fortgesetzt wird, beabsichtigt die Verwaltung vor dem Hintergrund des getroffenen "
            "Beschlusses und der ggf. erforderlichen Anpassung an die Bedarfssituation, die "
            "bestehende Leistungs- Vergütungs- und Qualitätsvereinbarung **vorsorglich** "
            "fristgemäß bis zum 30.06.2022 zu kündigen."
        ],
    ),
    "§ 16 a SGB II, Abs., e. V.": (
        "„Mit Beschluss des Kreistages in der nicht öffentlichen Sitzung vom 08.09.2020 (TOP 21; "
        "Vorlage 0135/2020) wurde die Verwaltung beauftragt, entsprechend § 16 a SGB II und §§ "
        "10,11 Abs. 5 SGB XII mit dem SKFM e. V. Region Heinsberg als alleinigem Träger eine "
        "Leistungs-Vergütungs- und Qualitätsvereinbarung zum Betrieb einer „Beratungsstelle für "
        "Frauen mit Gewalterfahrung“ abzuschließen.",
        [
            "„Mit Beschluss des Kreistages in der nicht öffentlichen Sitzung vom 08.09.2020 "
            "(TOP 21; Vorlage 0135/2020) wurde die Verwaltung beauftragt, entsprechend § 16 a "
            "SGB II und §§ 10,11 Abs. 5 SGB XII mit dem SKFM e. V. Region Heinsberg als "
            "alleinigem Träger eine Leistungs-Vergütungs- und Qualitätsvereinbarung zum "
            "Betrieb einer „Beratungsstelle für Frauen mit Gewalterfahrung“ abzuschließen."
        ],
    ),
    "e.V.": (
        "Davon wurden 1,5 Stellen im Kommunalen Integrationszentrum und eine Stelle im Deutschen "
        "Roten Kreuz Kreisverband Heinsberg e.V. (DRK) angesiedelt. 80 % der Personalausgaben "
        "werden vom Land bezuschusst.",
        [
            "Davon wurden 1,5 Stellen im Kommunalen Integrationszentrum und eine Stelle im "
            "Deutschen Roten Kreuz Kreisverband Heinsberg e.V. (DRK) angesiedelt.",
            "80 % der Personalausgaben werden vom Land bezuschusst.",
        ],
    ),
    "stv.": (
        "Frau van der Kruijssen, stv. Leiterin des Amtes für Soziales, berichtet zum aktuellen "
        "Stand:",
        ["Frau van der Kruijssen, stv. Leiterin des Amtes für Soziales, berichtet zum aktuellen "
         "Stand:"],
    ),
    "am 27. April 2022, die 1. Sitzung": (
        "In seiner 1. Sitzung der neuen Wahlperiode hatte sich der Beirat darauf verständigt, "
        "zeitnah einen Workshop durchzuführen. Pandemiebedingt war eine Umsetzung in 2021 "
        "allerdings nicht möglich. Unter der Leitung des Vorsitzenden Benetreu wurde der "
        "Workshop nunmehr am 27. April 2022 durchgeführt. Hierbei wurden sowohl die "
        "Entwurfsfassung der Geschäftsordnung als auch die beabsichtigten Themenschwerpunkte der "
        "laufenden Wahlperiode bis 2025 erörtert. Benannt wurden die Themenfelder",
        [
            "In seiner 1. Sitzung der neuen Wahlperiode hatte sich der Beirat darauf "
            "verständigt, zeitnah einen Workshop durchzuführen.",
            "Pandemiebedingt war eine Umsetzung in 2021 allerdings nicht möglich.",
            "Unter der Leitung des Vorsitzenden Benetreu wurde der Workshop nunmehr am 27. "
            "April 2022 durchgeführt.",
            "Hierbei wurden sowohl die Entwurfsfassung der Geschäftsordnung als auch die "
            "beabsichtigten Themenschwerpunkte der laufenden Wahlperiode bis 2025 erörtert.",
            "Benannt wurden die Themenfelder",
        ],
    ),
    "am 15. Mai 2022": (
        "Auf schriftliche Nachfrage des Amtes für Soziales beim Ministerium für Heimat, "
        "Kommunales, Bau und Gleichstellung des Landes NRW teilte dieses aktuell mit, dass erst "
        "nach Konstituierung einer Landesregierung nach den Landtagswahlen am 15. Mai 2022 die "
        "Erteilung einer Auskunft zur Landesförderung der Frauenberatungsstellen ab 2023 möglich "
        "sein wird.",
        [
            "Auf schriftliche Nachfrage des Amtes für Soziales beim Ministerium für Heimat, "
            "Kommunales, Bau und Gleichstellung des Landes NRW teilte dieses aktuell mit, dass "
            "erst nach Konstituierung einer Landesregierung nach den Landtagswahlen am 15. Mai "
            "2022 die Erteilung einer Auskunft zur Landesförderung der Frauenberatungsstellen "
            "ab 2023 möglich sein wird."
        ],
    ),
    "die 6. Sitzung, 11.05.2022": (
        "über die 6. Sitzung des Ausschusses für Gesundheit, Soziales und Generationenfragen "
        "am  \n11.05.2022",
        [
            "über die 6. Sitzung des Ausschusses für Gesundheit, Soziales und "
            "Generationenfragen am  \n11.05.2022"
        ],
    ),
    "im 1. Halbjahr": (
        "Zu den Beratungsinhalten wird auf die Grafik in der Folie 2 verwiesen, die im 1. "
        "Halbjahr 2023 die Schwerpunkte „Sprache“, „Lebensunterhalt“ und „Aufenthalt“ hatten. "
        "Zu beachten sei, dass in der Grafik Fälle und keine einzelnen Beratungen abgebildet "
        "seien.",
        [
            "Zu den Beratungsinhalten wird auf die Grafik in der Folie 2 verwiesen, die im 1. "
            "Halbjahr 2023 die Schwerpunkte „Sprache“, „Lebensunterhalt“ und „Aufenthalt“ "
            "hatten.",
            "Zu beachten sei, dass in der Grafik Fälle und keine einzelnen Beratungen "
            "abgebildet seien.",
        ],
    ),
    "zum 01.07.2022, zum 30.06.2022": (
        "Da zum 30.06.2022 die Förderung des Teilhabemanagements (Förderbaustein 6 der "
        "Landesinitiativen „Gemeinsam klappt´s“ und „Durchstarten in Ausbildung und Arbeit“) "
        "ausläuft, sollen die dort eingesetzten Teilhabemanagerinnen zum 01.07.2022 ins Case "
        "Management des KIM wechseln.",
        [
            "Da zum 30.06.2022 die Förderung des Teilhabemanagements (Förderbaustein 6 der "
            "Landesinitiativen „Gemeinsam klappt´s“ und „Durchstarten in Ausbildung und "
            "Arbeit“) ausläuft, sollen die dort eingesetzten Teilhabemanagerinnen zum "
            "01.07.2022 ins Case Management des KIM wechseln."
        ],
    ),
    "date at the sentence end": (
        "Die erste Sitzung der KIM-Lenkungsgruppe unter Vorsitz des Landrates wurde für den "
        "19.05.2022 terminiert.",
        [
            "Die erste Sitzung der KIM-Lenkungsgruppe unter Vorsitz des Landrates wurde für den "
            "19.05.2022 terminiert."
        ],
    ),
    "1.800": (
        "Das Jobcenter rechnet bei 1.800 Personen mit rund 1.000 zusätzlichen "
        "Bedarfsgemeinschaften.",
        ["Das Jobcenter rechnet bei 1.800 Personen mit rund 1.000 zusätzlichen "
         "Bedarfsgemeinschaften."],
    ),
    "624.493,60 €": (
        "Auf den Antrag auf Landeszuwendung vom 27.03.2020 ging am 10.08.2020 der "
        "Zuwendungsbescheid in Form einer Anteilsfinanzierung als Zuweisung/Zuschuss in Höhe "
        "von 624.493,60 € (80 %) zu den zuwendungsfähigen Gesamtausgaben in Höhe von 780.617,00 "
        "€ für den Durchführungszeitraum bis zum 31.12.2022 ein. (Weitere Informationen: "
        "www.durchstarten.nrw)",
        [
            "Auf den Antrag auf Landeszuwendung vom 27.03.2020 ging am 10.08.2020 der "
            "Zuwendungsbescheid in Form einer Anteilsfinanzierung als Zuweisung/Zuschuss in "
            "Höhe von 624.493,60 € (80 %) zu den zuwendungsfähigen Gesamtausgaben in Höhe von "
            "780.617,00 € für den Durchführungszeitraum bis zum 31.12.2022 ein.",
            "(Weitere Informationen: www.durchstarten.nrw)",
        ],
    ),
    "12,0 and 6,0": (
        "Von den für das Jahr 2022 vom Land geförderten 12,0 Case Management-Stellen im "
        "KIM-Baustein 2 ist zunächst die Besetzung von 6,0 Stellen geplant. Aktuell sind "
        "hiervon 1,5 Stellen (1,0 Stellen beim Kreis Heinsberg und 0,5 Stellen bei der "
        "Diakonie) besetzt.",
        [
            "Von den für das Jahr 2022 vom Land geförderten 12,0 Case Management-Stellen im "
            "KIM-Baustein 2 ist zunächst die Besetzung von 6,0 Stellen geplant.",
            "Aktuell sind hiervon 1,5 Stellen (1,0 Stellen beim Kreis Heinsberg und 0,5 Stellen "
            "bei der Diakonie) besetzt.",
        ],
    ),
    "TOP 3.1": (
        "Hinsichtlich der Inanspruchnahme der Frauenberatungsstelle wird auf die in der Sitzung "
        "des Ausschusses für Gesundheit, Soziales und Generationenfragen vom 30.11.2021 (TOP "
        "3.1; Vorlage 0243/2021) zur Verfügung gestellte statistische Auswertung verwiesen. Es "
        "ist beabsichtigt, über die Fortschreibung der Auswertung bis zum 30.09.2022 in der "
        "Sitzung am 16.11.2022 zu berichten.“",
        [
            "Hinsichtlich der Inanspruchnahme der Frauenberatungsstelle wird auf die in der "
            "Sitzung des Ausschusses für Gesundheit, Soziales und Generationenfragen vom "
            "30.11.2021 (TOP 3.1; Vorlage 0243/2021) zur Verfügung gestellte statistische "
            "Auswertung verwiesen.",
            "Es ist beabsichtigt, über die Fortschreibung der Auswertung bis zum 30.09.2022 in "
            "der Sitzung am 16.11.2022 zu berichten.“",
        ],
    ),
    "closing quote ends the sentence": (
        "Um entsprechende Überlegungen voranzutreiben werden zur nächsten Sitzung, die für "
        "Anfang Juni vorgesehen ist, unter anderem Vertreter der drei Krankenhäuser, der "
        "Wirtschaftsförderungsgesellschaft und der Arbeitsgemeinschaft der Bürgermeister "
        "eingeladen.“\n\n**Sitzung: öffentlich**",
        [
            "Um entsprechende Überlegungen voranzutreiben werden zur nächsten Sitzung, die für "
            "Anfang Juni vorgesehen ist, unter anderem Vertreter der drei Krankenhäuser, der "
            "Wirtschaftsförderungsgesellschaft und der Arbeitsgemeinschaft der Bürgermeister "
            "eingeladen.“",
            "**Sitzung: öffentlich**",
        ],
    ),
    "period after a closing quote": (
        "Benannt wurden die Themenfelder „Dialog Jung/Alt“, „Mobilität“, „Wohnen“, "
        "„Digitalisierung“, „Daseinsvorsorge“ und „Pflege“. Einigkeit bestand zwischen den "
        "Teilnehmern,",
        [
            "Benannt wurden die Themenfelder „Dialog Jung/Alt“, „Mobilität“, „Wohnen“, "
            "„Digitalisierung“, „Daseinsvorsorge“ und „Pflege“.",
            "Einigkeit bestand zwischen den Teilnehmern,",
        ],
    ),
    "questions": (
        "Gleichwohl sind zwei Fragestellungen und deren Beantwortung in diesem Kontext "
        "bedeutsam:  \nWas versteht man unter einer Sozialplanung?  \nWarum sollte eine "
        "Sozialplanung aufgestellt werden?\n\nGrundsätzlich ist die Sozialplanung eine "
        "Steuerungsunterstützung in der Kommunalverwaltung.",
        [
            "Gleichwohl sind zwei Fragestellungen und deren Beantwortung in diesem Kontext "
            "bedeutsam:",
            "Was versteht man unter einer Sozialplanung?",
            "Warum sollte eine Sozialplanung aufgestellt werden?",
            "Grundsätzlich ist die Sozialplanung eine Steuerungsunterstützung in der "
            "Kommunalverwaltung.",
        ],
    ),
    "list items ending with commas": (
        "Im Spektrum einer Sozialplanung und einer Sozialberichterstattung werden umfassend "
        "Daten und Fakten, insbesondere zu folgenden Themen erfasst und analysiert:\n\n- die "
        "demografische Situation mit Blick auf Altersstrukturen, kulturelle Diversität und "
        "Bevölkerungsbewegung,\n- die sozioökonomische Situation mit Fokus auf die Aspekte "
        "Arbeit und Bedürftigkeit bzw. Abhängigkeit von Transferleistungen,\n- die Situation "
        "von Familien und Kindern und\n- zur Infrastruktur im Raum.",
        [
            "Im Spektrum einer Sozialplanung und einer Sozialberichterstattung werden umfassend "
            "Daten und Fakten, insbesondere zu folgenden Themen erfasst und analysiert:",
            "- die demografische Situation mit Blick auf Altersstrukturen, kulturelle "
            "Diversität und Bevölkerungsbewegung,",
            "- die sozioökonomische Situation mit Fokus auf die Aspekte Arbeit und "
            "Bedürftigkeit bzw. Abhängigkeit von Transferleistungen,",
            "- die Situation von Familien und Kindern und",
            "- zur Infrastruktur im Raum.",
        ],
    ),
    "headings": (
        "**Sitzung: öffentlich**\n\n## **Tagesordnungspunkt 2.5:**\n\n### **Sachstand "
        "Sozialplanung /Sozialmonitoring im Kreis Heinsberg**\n\nFrau Funke, Sozialplanerin im "
        "Amt für Altershilfen und Sozialplanung und Herr Schulze, Amtsleiter, geben den "
        "folgenden Überblick:",
        [
            "**Sitzung: öffentlich**",
            "## **Tagesordnungspunkt 2.5:**",
            "### **Sachstand Sozialplanung /Sozialmonitoring im Kreis Heinsberg**",
            "Frau Funke, Sozialplanerin im Amt für Altershilfen und Sozialplanung und Herr "
            "Schulze, Amtsleiter, geben den folgenden Überblick:",
        ],
    ),
    "numbered list": (
        "Die Initiativen umfassen sechs Bausteine:\n\n1.\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0 "
        "Coaching\n\n2.\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0 Ausbildungs- oder berufsbegleitende "
        "Qualifizierung und/oder Sprachförderung",
        [
            "Die Initiativen umfassen sechs Bausteine:",
            "1.\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0 Coaching",
            "2.\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0 Ausbildungs- oder berufsbegleitende "
            "Qualifizierung und/oder Sprachförderung",
        ],
    ),
    "list number before a function word": (
        "2. Die Initiativen „Gemeinsam klappt’s“ des Ministeriums für Kinder, Familie, "
        "Flüchtlinge und Integration des Landes Nordrhein-Westfalen (MKFFI) und „Durchstarten "
        "in Ausbildung und Arbeit“ des Ministeriums für Arbeit, Gesundheit und Soziales (MAGS) "
        "sowie des MKFFI fördern junge, erwachsene Geflüchtete zwischen 18 und 27 Jahren.",
        [
            "2. Die Initiativen „Gemeinsam klappt’s“ des Ministeriums für Kinder, Familie, "
            "Flüchtlinge und Integration des Landes Nordrhein-Westfalen (MKFFI) und "
            "„Durchstarten in Ausbildung und Arbeit“ des Ministeriums für Arbeit, Gesundheit "
            "und Soziales (MAGS) sowie des MKFFI fördern junge, erwachsene Geflüchtete "
            "zwischen 18 und 27 Jahren."
        ],
    ),
    "Grunddaten lines": (
        "- Datum:\n- Mi., 16.06.2021\n- Status:\n- gemischt (Sitzung abgeschlossen)\n- "
        "Uhrzeit:\n- 16:00\n- Anlass:\n- Sitzung\n- Beratung:\n- öffentlich\n- Vorlageart:\n"
        "- Mitteilungsvorlage\n- Federführend:\n- A 46 - Kommunales Integrationszentrum\n"
        "- Beschluss:\n- zur Kenntnis genommen\nHerr Dr. Ziemons wies",
        [
            "- Datum:",
            "- Mi., 16.06.2021",
            "- Status:",
            "- gemischt (Sitzung abgeschlossen)",
            "- Uhrzeit:",
            "- 16:00",
            "- Anlass:",
            "- Sitzung",
            "- Beratung:",
            "- öffentlich",
            "- Vorlageart:",
            "- Mitteilungsvorlage",
            "- Federführend:",
            "- A 46 - Kommunales Integrationszentrum",
            "- Beschluss:",
            "- zur Kenntnis genommen",
            "Herr Dr. Ziemons wies",
        ],
    ),
    "attendance lines": (
        "Dederichs, Hans-Josef  \nKehren, Hanno, Dr.  \nKleinjans, Heinz-Gerd  \n"
        "Leonards-Schippers, Christiane, Dr.  \nLux, Monika",
        [
            "Dederichs, Hans-Josef",
            "Kehren, Hanno, Dr.",
            "Kleinjans, Heinz-Gerd",
            "Leonards-Schippers, Christiane, Dr.",
            "Lux, Monika",
        ],
    ),
    "attendance line starting lowercase": (
        "Trox, Christian  \nvan der Kruijssen, Astrid\n\nAnfang: 18:00 Uhr",
        ["Trox, Christian", "van der Kruijssen, Astrid", "Anfang: 18:00 Uhr"],
    ),
    "ellipsis in a title line": (
        "16.06.2021 - 12 Sachstandsbericht zum kommunalen Integrationsma...\nGrunddaten\n- TOP:",
        [
            "16.06.2021 - 12 Sachstandsbericht zum kommunalen Integrationsma...",
            "Grunddaten",
            "- TOP:",
        ],
    ),
    "signature block": (
        "Dr. Kehren  \nAusschussvorsitzender",
        ["Dr. Kehren", "Ausschussvorsitzender"],
    ),
}


def test_seed_passages_are_real() -> None:
    everything = "\n".join(SEEDS.values())
    for name, (passage, _) in SEED_CASES.items():
        assert passage in everything, name


@pytest.mark.parametrize("name", list(SEED_CASES))
def test_seed_passage(name: str) -> None:
    passage, expected = SEED_CASES[name]
    assert sentences(passage) == expected


# Seed sentences with an abbreviation the seeds lack put in ("adapted").
ADAPTED_CASES: dict[str, tuple[str, list[str]]] = {
    "Hr.": (
        "In diesem Zusammenhang stellte Hr. Dr. Ziemons den neuen Leiter vor. Mit ihm habe man "
        "einen hoch qualifizierten Mitarbeiter gewinnen können.",
        [
            "In diesem Zusammenhang stellte Hr. Dr. Ziemons den neuen Leiter vor.",
            "Mit ihm habe man einen hoch qualifizierten Mitarbeiter gewinnen können.",
        ],
    ),
    "Fr.": (
        "Die Vorsitzende, Fr. SRTM Köster, begrüßte Herrn Röder herzlich. Sie betonte ebenfalls",
        [
            "Die Vorsitzende, Fr. SRTM Köster, begrüßte Herrn Röder herzlich.",
            "Sie betonte ebenfalls",
        ],
    ),
    "z. B. and z.B.": (
        "Hierbei soll es insbesondere um die Themen z. B. Wohnen, z.B. Arbeitsmarkt und Bildung "
        "gehen. Die ersten drei Treffen seien Anfang Dezember geplant.",
        [
            "Hierbei soll es insbesondere um die Themen z. B. Wohnen, z.B. Arbeitsmarkt und "
            "Bildung gehen.",
            "Die ersten drei Treffen seien Anfang Dezember geplant.",
        ],
    ),
    "o. g. and d. h.": (
        "Die übrigen Förderbausteine der o. g. Landesinitiativen, d. h. Coaching und "
        "Innovationsfonds, wurden verlängert. Seit April 2022 werden Auftaktgespräche geführt.",
        [
            "Die übrigen Förderbausteine der o. g. Landesinitiativen, d. h. Coaching und "
            "Innovationsfonds, wurden verlängert.",
            "Seit April 2022 werden Auftaktgespräche geführt.",
        ],
    ),
    "Nr., inkl., vgl.": (
        "Mit Beschluss des Kreistages (Vorlage Nr. 0135/2020 inkl. Anlage, vgl. Nr. 3) wurde die "
        "Verwaltung beauftragt. Diesem Auftrag kam die Verwaltung am 19.10.2020 nach.",
        [
            "Mit Beschluss des Kreistages (Vorlage Nr. 0135/2020 inkl. Anlage, vgl. Nr. 3) wurde "
            "die Verwaltung beauftragt.",
            "Diesem Auftrag kam die Verwaltung am 19.10.2020 nach.",
        ],
    ),
    "ca.": (
        "Im Kreis Heinsberg sind derzeit ca. 1.800 geflüchtete Ukrainerinnen und Ukrainer "
        "registriert. Sie erhalten derzeit Leistungen.",
        [
            "Im Kreis Heinsberg sind derzeit ca. 1.800 geflüchtete Ukrainerinnen und Ukrainer "
            "registriert.",
            "Sie erhalten derzeit Leistungen.",
        ],
    ),
    "Mio. and Tsd.": (
        "Die Gesamtausgaben in Höhe von 0,78 Mio. Euro bzw. 780 Tsd. Euro gelten bis zum "
        "31.12.2022. Die Förderung ist befristet.",
        [
            "Die Gesamtausgaben in Höhe von 0,78 Mio. Euro bzw. 780 Tsd. Euro gelten bis zum "
            "31.12.2022.",
            "Die Förderung ist befristet.",
        ],
    ),
    "St. and Std.": (
        "Die Sitzung in St. Vith dauerte 2 Std. und endete um 18:45 Uhr. Der Ausschuss tagte.",
        [
            "Die Sitzung in St. Vith dauerte 2 Std. und endete um 18:45 Uhr.",
            "Der Ausschuss tagte.",
        ],
    ),
    "month abbreviations": (
        "Der Workshop wurde am 27. Apr. 2022 durchgeführt, die Sitzung ist am 8. Jun. 2022. "
        "Hierbei wurden Themen erörtert.",
        [
            "Der Workshop wurde am 27. Apr. 2022 durchgeführt, die Sitzung ist am 8. Jun. 2022.",
            "Hierbei wurden Themen erörtert.",
        ],
    ),
    "usw. before a new sentence (documented choice: split)": (
        "Anfragen zu diversen Themen (Wohnsituation, Beschulung) und Sprachkurse usw. Diese "
        "werden im KI bearbeitet.",
        [
            "Anfragen zu diversen Themen (Wohnsituation, Beschulung) und Sprachkurse usw.",
            "Diese werden im KI bearbeitet.",
        ],
    ),
    "usw. before a lowercase word": (
        "Themen wie Wohnsituation, Beschulung usw. werden im KI bearbeitet.",
        ["Themen wie Wohnsituation, Beschulung usw. werden im KI bearbeitet."],
    ),
    "small number at the sentence end": (
        "Die Zahl der Mitglieder des Beirates beträgt 13. Die Mitglieder kommen aus den "
        "Fachbereichen Senioren und Familie.",
        [
            "Die Zahl der Mitglieder des Beirates beträgt 13.",
            "Die Mitglieder kommen aus den Fachbereichen Senioren und Familie.",
        ],
    ),
    "e. V. at the sentence end before a function word": (
        "Träger ist der SKFM e. V. Die Vereinbarung wurde mit Wirkung vom 01.10.2020 "
        "abgeschlossen.",
        [
            "Träger ist der SKFM e. V.",
            "Die Vereinbarung wurde mit Wirkung vom 01.10.2020 abgeschlossen.",
        ],
    ),
    "exclamation and question in parentheses": (
        "Er frage sich, wie die Situation dort sei (und wer zuständig sei?) und bat um "
        "Auskunft! Die Verwaltung sagte dies zu.",
        [
            "Er frage sich, wie die Situation dort sei (und wer zuständig sei?) und bat um "
            "Auskunft!",
            "Die Verwaltung sagte dies zu.",
        ],
    ),
    "quoted sentences": (
        "Sozialdezernentin Montforts berichtet: „Die erste Sitzung hat stattgefunden. Vertreter "
        "wurden eingeladen.“ Danach ging es weiter.",
        [
            "Sozialdezernentin Montforts berichtet: „Die erste Sitzung hat stattgefunden.",
            "Vertreter wurden eingeladen.“",
            "Danach ging es weiter.",
        ],
    ),
    "straight quotes": (
        'Benannt wurde das Thema "Pflege." Einigkeit bestand.',
        ['Benannt wurde das Thema "Pflege."', "Einigkeit bestand."],
    ),
    "PDF line wrap before a lowercase word and before a noun": (
        "Die Beratungen werden seitens der im KI tätigen Lehrkräfte vermehrt in den einzelnen\n"
        "Kommunen des Kreises Heinsberg geleistet, um den schulpflichtigen Kindern einen\n"
        "schnellstmöglichen Zugang zum Schulsystem zu ermöglichen. Die Beschulung erfolgt.",
        [
            "Die Beratungen werden seitens der im KI tätigen Lehrkräfte vermehrt in den "
            "einzelnen\nKommunen des Kreises Heinsberg geleistet, um den schulpflichtigen "
            "Kindern einen\nschnellstmöglichen Zugang zum Schulsystem zu ermöglichen.",
            "Die Beschulung erfolgt.",
        ],
    ),
    "PDF line wrap before a date": (
        "Unter der Leitung des Vorsitzenden Benetreu wurde der Workshop nunmehr am\n"
        "27. April 2022 durchgeführt.",
        [
            "Unter der Leitung des Vorsitzenden Benetreu wurde der Workshop nunmehr am\n"
            "27. April 2022 durchgeführt."
        ],
    ),
    "line ending with a colon, then lowercase": (
        "Beschluss:\nzur Kenntnis genommen",
        ["Beschluss:", "zur Kenntnis genommen"],
    ),
    "plain-text heading and attendance lines": (
        "Tagesordnungspunkt 2.1:\nUnterausschuss zur proaktiven Begleitung\nDer Kreistag hat "
        "in seiner Sitzung am 16.11.2021 beschlossen, dass der Ausschuss einen festen\n"
        "Unterausschuss einrichtet.\nDederichs, Hans-Josef\nKehren, Hanno, Dr.\nLux, Monika",
        [
            "Tagesordnungspunkt 2.1:",
            "Unterausschuss zur proaktiven Begleitung",
            "Der Kreistag hat in seiner Sitzung am 16.11.2021 beschlossen, dass der Ausschuss "
            "einen festen\nUnterausschuss einrichtet.",
            "Dederichs, Hans-Josef",
            "Kehren, Hanno, Dr.",
            "Lux, Monika",
        ],
    ),
    "English": (
        "Dr. Smith met Mr. Brown, e.g. at 5 p.m. on Monday. They agreed! Did they?",
        ["Dr. Smith met Mr. Brown, e.g. at 5 p.m. on Monday.", "They agreed!", "Did they?"],
    ),
}


@pytest.mark.parametrize("name", list(ADAPTED_CASES))
def test_adapted_passage(name: str) -> None:
    passage, expected = ADAPTED_CASES[name]
    assert sentences(passage) == expected


def test_blank_line_always_ends_a_sentence() -> None:
    text = seed("004")
    assert "in deren Rahmen lokale\n\nIntegrationsakteure" in text
    found = sentences(text)
    assert any(s.endswith("in deren Rahmen lokale") for s in found)
    assert any(s.startswith("Integrationsakteure eine Art") for s in found)


def test_seed_003_structure() -> None:
    found = sentences(seed("003"))
    for line in ["## Niederschrift", "### Anwesend:", "Dederichs, Hans-Josef", "Kehren, Hanno, Dr.",
                 "Grübener, Sabrina, Dr. \\*", "1. Anfragen", "**Tagesordnungspunkt 2.1:**",
                 "- 2.2. Frauenberatung im Kreis Heinsberg", "Anfang: 18:00 Uhr"]:
        assert line in found, line


def check_invariants(text: str, start: int = 0, end: int | None = None) -> None:
    window_start, window_end, _ = slice(start, end).indices(len(text))
    spans = split_sentences(text, start, end)
    covered = [0] * len(text)
    previous_end = window_start
    for s, e in spans:
        assert previous_end <= s < e <= window_end, (s, e)
        assert text[s:e] == text[s:e].strip()
        for i in range(s, e):
            covered[i] += 1
        previous_end = e
    for i, char in enumerate(text):
        if not window_start <= i < window_end:
            assert covered[i] == 0, i
        elif not char.isspace():
            assert covered[i] == 1, (i, text[max(0, i - 20):i + 20])


@pytest.mark.parametrize("name", list(SEEDS))
def test_invariants_on_seed(name: str) -> None:
    text = SEEDS[name]
    check_invariants(text)
    assert len(split_sentences(text)) > 10


@pytest.mark.parametrize("name", list(SEEDS))
def test_windows_match_splitting_the_slice(name: str) -> None:
    """A window is split exactly like the sliced text, at absolute offsets."""
    text = SEEDS[name]
    words = [m.start() for m in re.finditer(r"\S+", text)]
    cuts = words[::150] + [len(text)]  # passage-sized windows, cut at word starts
    cuts += list(range(7, len(text), 997))  # and windows cut mid-word or mid-whitespace
    cuts = sorted(set(cuts))
    for start, end in zip(cuts, cuts[1:]):
        check_invariants(text, start, end)
        expected = [(s + start, e + start) for s, e in split_sentences(text[start:end])]
        assert split_sentences(text, start, end) == expected


def test_window_offsets_are_absolute() -> None:
    text = "Vorspann. Herr Dr. Ziemons wies darauf hin. Die Verwaltung berichtet. Nachspann."
    start = text.index("Herr")
    end = text.index(" Nachspann")
    spans = split_sentences(text, start, end)
    assert [text[s:e] for s, e in spans] == [
        "Herr Dr. Ziemons wies darauf hin.",
        "Die Verwaltung berichtet.",
    ]
    assert spans[0][0] == start


def test_window_cutting_a_sentence() -> None:
    text = "Die Inhalte werden laufend aktualisiert und ergänzt. Ebenso wurde ergänzt."
    assert sentences(text, 4, 30) == ["Inhalte werden laufend akt"]
    assert sentences(text, text.index("ergänzt.")) == ["ergänzt.", "Ebenso wurde ergänzt."]


def test_window_defaults_and_slice_semantics() -> None:
    text = "Erster Satz. Zweiter Satz."
    assert split_sentences(text) == split_sentences(text, 0, len(text))
    assert split_sentences(text, -13) == split_sentences(text, len(text) - 13)
    assert split_sentences(text, 0, 1000) == split_sentences(text)
    assert split_sentences(text, 20, 10) == []


@pytest.mark.parametrize("text", ["", " ", "\n\n", " \n \t\n\xa0 \r\n"])
def test_empty_and_whitespace_only(text: str) -> None:
    assert split_sentences(text) == []


def test_whitespace_only_window() -> None:
    text = "Erster Satz.\n\n   \n\nZweiter Satz."
    assert split_sentences(text, 12, 19) == []


def test_seeds_are_present() -> None:
    assert len(SEEDS) >= 5


def test_invariants_on_generated_text() -> None:
    """Odd mixtures of the pieces the rules look at never break the invariants."""
    pieces = ["Die", "die", "6.", "z.", "B.", "e. V.", "usw.", "Dr.", "?", "!", "…", "...", "„",
              "“", '"', ")", "(", "*", "- ", "1. ", ":", "\n", "\n\n", "  \n", " ", "\xa0",
              "\r\n", "a", "Satz.", "11.05.2022", "Kehren, Hanno", "#", "**", "\\"]
    rng = random.Random(0)
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        check_invariants(text)
        start = rng.randint(0, len(text))
        check_invariants(text, start, rng.randint(start, len(text)))
