import pytest

from buildtrace.engine.sheet_number import normalise_key, parse_sheet_number


@pytest.mark.parametrize("text,printed,key", [
    ("A-101", "A-101", "A101"),
    ("A101", "A101", "A101"),
    ("A1.01", "A1.01", "A101"),
    ("M-100", "M-100", "M100"),
    ("S-201.1", "S-201.1", "S2011"),
    ("E0002", "E0002", "E0002"),
    ("G-001", "G-001", "G001"),
    ("FP-2.1", "FP-2.1", "FP21"),
    ("2-A-101", "2-A-101", "2A101"),
    ("A-101A", "A-101A", "A101A"),
    ("AI-101", "AI-101", "AI101"),
    ("M1 00", "M100", "M100"),  # a stray space is not a repair
])
def test_printed_forms_are_read_exactly(text, printed, key):
    n = parse_sheet_number(text)
    assert n is not None and n.printed == printed and n.key == key
    assert n.repairs == 0


@pytest.mark.parametrize("text,key", [
    ("Ml 01", "M101"),      # the Transatomic text layer
    ("Ml 1 0", "M110"),
    ("MI O7", "M107"),
    ("M1O1", "M101"),
    ("S-2O1", "S201"),
    ("EO002", "E0002"),
    ("M1 Ø1", "M101"),      # slashed zero
    ("a-1O1", "A101"),
])
def test_ocr_confusions_are_repaired_at_a_cost(text, key):
    n = parse_sheet_number(text)
    assert n is not None and n.key == key
    assert n.repairs > 0


@pytest.mark.parametrize("text", ["3264", "ROOM", "TO", "EL", "AB", "FEEDWATER", "12'-6\"",
                                  "1OF2", "REV", "E-", "", "M101 A"])
def test_words_that_are_not_sheet_numbers(text):
    assert parse_sheet_number(text) is None


def test_bare_numbers_only_when_allowed():
    assert parse_sheet_number("2") is None
    assert parse_sheet_number("2", allow_bare_number=True).key == "2"


def test_keys_ignore_case_spaces_dashes_dots():
    assert normalise_key("a-1.01") == normalise_key("A 101") == "A101"
