from index.dedup import duplicate_groups

REPORT = ("Von den für das Jahr 2022 vom Land geförderten 12,0 Case Management-Stellen im "
          "KIM-Baustein 2 ist zunächst die Besetzung von 6,0 Stellen geplant. Aktuell sind hiervon "
          "1,5 Stellen besetzt. Zum Aufbau des Case Managements sind derzeit weitere Stellen als "
          "Sozialarbeiter*innen extern ausgeschrieben.")


def test_identical_and_near_identical_passages_of_other_documents_are_grouped():
    near = REPORT.replace("Sozialarbeiter*innen", "Sozialarbeiter\n*innen").replace("derzeit", "aktuell")
    texts = [REPORT, "Ein ganz anderer Text über die Frauenberatung im Kreis Heinsberg.", near, REPORT]
    groups = duplicate_groups(texts, ["a", "a", "b", "c"])
    assert groups[0] == groups[2] == groups[3] == 0
    assert groups[1] == 1


def test_copies_inside_one_document_are_not_grouped():
    groups = duplicate_groups([REPORT, REPORT], ["a", "a"])
    assert groups == [0, 1]


def test_different_passages_on_the_same_topic_are_not_grouped():
    other = ("Im Rhein-Sieg-Kreis sind im Modul II Case Management 7 VZÄ mit 9 Personen in 14 "
             "Kommunen besetzt; hinzu kommen 2 VZÄ für mehrsprachige Kindergartenkinder.")
    assert duplicate_groups([REPORT, other], ["a", "b"]) == [0, 1]
