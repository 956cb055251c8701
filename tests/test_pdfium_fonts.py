"""PDFium draws and reads a drawing's non-embedded fonts with the package's fonts
(engine/pdfium_fonts.py), not with whatever the machine has."""

import os
import pathlib

import numpy as np
import pytest

from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.engine.pdfium_fonts import PACKAGE_FONTS, font_folders, use_package_fonts

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLOOR_PLANS = ROOT / "examples" / "drawings" / "jp-house" / "floor-plans.pdf"


def _ink_share(page, box, dpi=150.0) -> float:
    """Share of dark pixels in ``box`` (points, top-left origin) of ``page`` rendered."""
    img = page.render(dpi=dpi, region=box)
    return float((img < 128).mean())


def test_pdfium_searches_the_package_fonts_instead_of_the_machines():
    assert use_package_fonts() == [PACKAGE_FONTS]
    for name in ("ipag.ttf", "ipam.ttf", "DroidSansFallbackFull.ttf"):
        assert os.path.getsize(os.path.join(PACKAGE_FONTS, name)) > 1_000_000


def test_font_path_adds_a_firms_folders_before_the_package(tmp_path):
    theirs = tmp_path / "firm-fonts"
    theirs.mkdir()
    env = {"BUILDTRACE_FONT_PATH": os.pathsep.join([str(theirs), str(tmp_path / "missing")])}
    assert font_folders(env) == [str(theirs), PACKAGE_FONTS]
    assert font_folders({}) == [PACKAGE_FONTS]


def test_japanese_labels_in_fonts_the_pdf_does_not_embed_are_drawn_and_read():
    """The floor plans name MS-Gothic and MS-Mincho and embed neither. Without a Japanese
    font PDFium drew none of their room names; with Droid Sans Fallback alone it read the
    sheet number "4" as U+0000 and gave the kanji boxes of no height."""
    with open_set(str(FLOOR_PLANS)) as s:
        page = s.page(0)
        words = page.words()
        by_text = {}
        for w in words:
            by_text.setdefault(w.text, w)
        for label in ("洋室", "玄関", "ホール"):
            assert label in by_text, label
            w = by_text[label]
            assert 3.0 < w.height < 20.0, (label, w.bbox)  # a real box
            # drawn: the label's box holds ink (the box of a glyph not drawn is blank)
            assert _ink_share(page, w.bbox) > 0.08, label
        ident = identify_page(page)
        assert ident.number == "4"
        assert ident.title == "1階 平面図,2階 平面図"
        assert not any("\x00" in w.text for w in words)


def _cjk_pdf(path, base_font: str, cmap: str, ordering: str, text: str) -> None:
    """A one-page PDF setting ``text`` at 24 pt in a Type 0 font ``base_font`` that it does
    not embed (as CAD programs write them), encoded by the Unicode CMap ``cmap``."""
    content = ("BT /F1 24 Tf 50 700 Td <%s> Tj ET" % "".join(f"{ord(c):04X}" for c in text))
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{base_font} /Encoding /{cmap} "
        "/DescendantFonts [6 0 R] >>",
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base_font} /FontDescriptor 7 0 R "
        f"/DW 1000 /CIDSystemInfo << /Registry (Adobe) /Ordering ({ordering}) /Supplement 4 >> >>",
        f"<< /Type /FontDescriptor /FontName /{base_font} /Flags 5 /FontBBox [0 -140 1000 859] "
        "/ItalicAngle 0 /Ascent 859 /Descent -140 /CapHeight 859 /StemV 0 >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)


@pytest.mark.parametrize("base_font,cmap,ordering,text", [
    ("MS-Gothic", "UniJIS-UCS2-H", "Japan1", "建築平面図 洋室"),
    ("MS-Mincho", "UniJIS-UCS2-H", "Japan1", "縮尺 平面図"),
    ("SimSun", "UniGB-UCS2-H", "GB1", "建筑平面图 门窗"),
])
def test_cjk_text_in_a_font_not_embedded_is_drawn_and_reads_back(tmp_path, base_font, cmap,
                                                                ordering, text):
    pdf = tmp_path / "sheet.pdf"
    _cjk_pdf(pdf, base_font, cmap, ordering, text)
    with open_set(str(pdf)) as s:
        page = s.page(0)
        assert " ".join(w.text for w in page.words()) == text
        # the line (24 pt, 50 pt from the left, baseline 92 pt from the top) is inked
        width = 24 * len(text)
        share = _ink_share(page, (50, 68, 50 + width, 96))
        assert share > 0.08, share
        # and nothing is drawn where there is no text
        assert _ink_share(page, (50, 200, 50 + width, 228)) == 0.0
        assert np.isfinite(share)
