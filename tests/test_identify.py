"""Sheet identification on the real drawings: text layer, OCR alone, titles, confidence."""

import pytest

from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import HIGH_CONFIDENCE, identify_page
from buildtrace.engine.ocr import RapidOcrRecognizer
from buildtrace.engine.title_words import tidy_title
from conftest import JP_HOUSE, TRANSATOMIC, transatomic_truth


def _identify_all(files, **kw):
    out = []
    for f in files:
        with open_set(f) as s:
            out.append((transatomic_truth(f), identify_page(s.page(0), **kw)))
    return out


def _check_accuracy(results, minimum):
    right = [i for truth, i in results if i.key == truth]
    wrong = [(truth, i) for truth, i in results if i.key != truth]
    assert len(right) >= minimum, [(t, i.number) for t, i in wrong]
    for truth, i in wrong:
        assert i.confidence < HIGH_CONFIDENCE, f"{truth} read as {i.number} with {i.confidence}"
    return right


def test_transatomic_numbers_from_the_text_layer(transatomic_sheets):
    results = _identify_all(transatomic_sheets)
    assert all(i.source == "text" for _, i in results)
    right = _check_accuracy(results, 17)
    assert sum(i.confidence >= HIGH_CONFIDENCE for i in right) >= 15


@pytest.mark.ocr
def test_transatomic_numbers_by_ocr_alone(transatomic_sheets):
    results = _identify_all(transatomic_sheets, recognizer=RapidOcrRecognizer(),
                            use_text_layer=False)
    assert all(i.source == "ocr" for _, i in results)
    _check_accuracy(results, 15)


def test_the_number_comes_from_the_title_block_not_the_drawing():
    # M100 SH1 refers to "M100 SH2" three times in its drawing area
    with open_set(TRANSATOMIC / "M100SH1.pdf") as s:
        ident = identify_page(s.page(0))
        page = s.page(0)
    assert ident.number == "M100 SH1" and ident.sheet_of == (1, 2)
    x0, y0, x1, y1 = ident.number_bbox
    assert x0 > 0.85 * page.width_pt and y0 > 0.9 * page.height_pt


def test_titles_of_transatomic_sheets():
    with open_set(TRANSATOMIC / "M101.pdf") as s:
        ident = identify_page(s.page(0))
    assert "PROCESS FLOW" in ident.title and "STEAM SYSTEM" in ident.title
    with open_set(TRANSATOMIC / "one-line-diagram.pdf") as s:
        assert identify_page(s.page(0)).title == "KEY ONE LINE DIAGRAM"


@pytest.mark.parametrize("sheet, title", [
    # the scans' text layer reads "DI AGRAM", "PR! MARY COOL! NG", "BUI LOI NG", and the
    # firm's name beside the title as two phrases ("BURNS AND" | "ROE ENTERPRISES, INC")
    ("M105.pdf", "PROCESS FLOW DIAGRAM PRIMARY COOLING SYSTEM"),
    ("M101.pdf", "PROCESS FLOW DIAGRAM STEAM SYSTEM"),
    ("M201.pdf", "GENERAL ARRANGEMENT REACTOR BUILDING PLAN EL 0' - 0\""),
    ("M251.pdf", "GENERAL ARRANGEMENT TURBINE BLDG. SECTION A-A"),
])
def test_titles_read_as_printed(sheet, title):
    with open_set(TRANSATOMIC / sheet) as s:
        assert identify_page(s.page(0)).title == title


def test_title_words_are_tidied_only_into_words_of_the_vocabulary():
    # (word as read, gap after it in letter heights)
    assert tidy_title([("DI", 0.05), ("AGRAM", 1)]) == "DIAGRAM"
    assert tidy_title([("BUI", 0.0), ("LOI", 0.02), ("NG", 1)]) == "BUILDING"
    assert tidy_title([("PR!", 0.3), ("MARY", 1)]) == "PRIMARY"
    # a real space: the pieces stay apart, even if they would make a word
    assert tidy_title([("DI", 0.7), ("AGRAM", 1)]) == "DI AGRAM"
    # words of the vocabulary are never joined; unknown words stay as read
    assert tidy_title([("GENERAL", 0.1), ("ARRANGEMENT", 1)]) == "GENERAL ARRANGEMENT"
    assert tidy_title([("KLAUS", 0.05), ("HAUS", 1)]) == "KLAUS HAUS"
    assert tidy_title([("EL", 0.1), ("0'-0\"", 1)]) == "EL 0'-0\""
    # one confused letter is restored; two, or a letter no OCR confuses, are not
    assert tidy_title([("BUILOING", 1)]) == "BUILDING"
    assert tidy_title([("BUXLOING", 1)]) == "BUXLOING"
    assert tidy_title([("FLOOD", 1)]) == "FLOOD"


def test_vector_sheet_with_a_labelled_bare_number_and_japanese_title():
    with open_set(JP_HOUSE / "site-plan.pdf") as s:
        ident = identify_page(s.page(0))
    assert (ident.number, ident.title, ident.source) == ("2", "配置図", "text")
    with open_set(JP_HOUSE / "floor-plans.pdf") as s:
        assert identify_page(s.page(0)).number == "4"


def test_a_page_without_text_and_without_ocr_says_none(tmp_path):
    from PIL import Image

    with open_set(TRANSATOMIC / "M101.pdf") as s:
        Image.fromarray(s.page(0).render(dpi=75)).save(tmp_path / "scan.png", dpi=(75, 75))
    with open_set(tmp_path / "scan.png") as s:
        ident = identify_page(s.page(0), recognizer=None)
    assert ident.number is None and ident.source == "none" and ident.confidence == 0


@pytest.mark.ocr
def test_a_scanned_image_is_identified_by_ocr(tmp_path):
    from PIL import Image

    with open_set(TRANSATOMIC / "M205.pdf") as s:
        Image.fromarray(s.page(0).render(dpi=150)).save(tmp_path / "scan.jpg", dpi=(150, 150))
    with open_set(tmp_path / "scan.jpg") as s:
        ident = identify_page(s.page(0), recognizer=RapidOcrRecognizer())
    assert ident.source == "ocr" and ident.key == "M205"
    assert "GENERAL" in ident.title.replace(" ", "")


def test_blank_page_has_no_number(tmp_path):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(612, 792).close()
    pdf.save(str(tmp_path / "blank.pdf"))
    with open_set(tmp_path / "blank.pdf") as s:
        ident = identify_page(s.page(0), recognizer=RapidOcrRecognizer())
    assert ident.number is None and ident.confidence == 0.0
