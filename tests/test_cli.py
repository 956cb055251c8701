"""The `buildtrace` command as a user runs it: tables, JSON, and every bad input."""

import json
import subprocess
import sys

import pypdfium2 as pdfium
import pytest

from buildtrace.synth import merge_pdfs, renumber
from conftest import JP_HOUSE, TRANSATOMIC


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "buildtrace.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=600)


def test_sheets_json_is_the_documented_list(transatomic_set, cli_env):
    r = run("sheets", transatomic_set, "--json", env=cli_env)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 19
    assert all(set(row) == {"page", "number", "title", "source", "confidence"} for row in rows)
    assert [row["page"] for row in rows] == list(range(19))
    assert rows[0]["number"] == "M100 SH1" and rows[18]["number"] == "E0002"
    assert all(row["source"] == "text" for row in rows)


def test_sheets_table(cli_env):
    r = run("sheets", TRANSATOMIC / "M101.pdf", env=cli_env)
    assert r.returncode == 0
    header, _, row = r.stdout.splitlines()[:3]
    assert header.split() == ["page", "number", "title", "source", "confidence"]
    assert row.split()[:2] == ["0", "M101"] and "text" in row


def test_pair_prints_pairs_added_removed_renumbered(tmp_path, cli_env):
    old = merge_pdfs([TRANSATOMIC / f for f in ("M101.pdf", "M105.pdf", "M205.pdf", "M251.pdf")],
                     tmp_path / "old.pdf")
    m206 = renumber(TRANSATOMIC / "M205.pdf", 0, (2249.39, 1518.47, 2297.31, 1534.09), "M206",
                    tmp_path / "m206.pdf")
    new = merge_pdfs([m206, TRANSATOMIC / "M112.pdf", TRANSATOMIC / "M105.pdf",
                      TRANSATOMIC / "M101.pdf"], tmp_path / "new.pdf")
    r = run("pair", old, new, "--json", env=cli_env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    pairs = {(p["old_page"], p["new_page"]) for p in doc["pairs"]}
    assert pairs == {(0, 3), (1, 2), (2, 0)}
    assert doc["removed_pages"] == [3] and doc["added_pages"] == [1]
    assert doc["renumbered"] == [{"old_page": 2, "new_page": 0, "old_number": "M205",
                                  "new_number": "M206"}]
    text = run("pair", old, new, env=cli_env).stdout
    assert "M205 -> M206" in text and "page 3 M251" in text and "page 1 M112" in text

    forced = json.loads(run("pair", old, new, "--pair", "3:1", "--json", env=cli_env).stdout)
    assert {"old_page": 3, "new_page": 1} in [
        {k: p[k] for k in ("old_page", "new_page")} for p in forced["pairs"]
        if p["method"] == "user"]
    bad = run("pair", old, new, "--pair", "7:1", env=cli_env)
    assert bad.returncode == 9 and "no page 7" in bad.stderr


# -- bad input ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    import pikepdf
    from PIL import Image

    d = tmp_path_factory.mktemp("bad")
    Image.new("L", (64, 64), 255).save(d / "photo.pdf", format="JPEG")
    (d / "notes.pdf").write_text("these are not drawings\n")
    (d / "empty.pdf").write_bytes(b"")
    with pikepdf.open(TRANSATOMIC / "M101.pdf") as pdf:
        pdf.save(d / "locked.pdf", encryption=pikepdf.Encryption(user="site", owner="office"))
    (d / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    blank = pdfium.PdfDocument.new()
    blank.save(str(d / "nopages.pdf"))
    huge = pdfium.PdfDocument.new()
    huge.new_page(200 * 72, 200 * 72).close()
    huge.save(str(d / "huge-page.pdf"))
    merge_pdfs([TRANSATOMIC / "M101.pdf", d / "huge-page.pdf", TRANSATOMIC / "M105.pdf"],
               d / "one-huge-page.pdf")
    return d


@pytest.mark.parametrize("name,code,message", [
    ("missing.pdf", 3, "no such file"),
    ("photo.pdf", 4, "contains JPEG image data"),
    ("notes.pdf", 4, "not a PDF"),
    ("empty.pdf", 4, "empty"),
    ("locked.pdf", 5, "password"),
    ("corrupt.pdf", 6, "cannot be read"),
    ("nopages.pdf", 7, "no pages"),
    ("huge-page.pdf", 8, "beyond the 400 Mpx budget"),
])
def test_bad_input_gets_a_clear_message_and_its_exit_code(bad_files, cli_env, name, code,
                                                          message):
    r = run("sheets", bad_files / name, env=cli_env)
    assert r.returncode == code, (r.returncode, r.stderr)
    assert message in r.stderr and str(bad_files / name) in r.stderr
    assert "Traceback" not in r.stderr


def test_a_page_too_large_loses_nothing_else(bad_files, cli_env):
    r = run("sheets", bad_files / "one-huge-page.pdf", "--json", env=cli_env)
    assert r.returncode == 8
    rows = json.loads(r.stdout)
    assert [row["number"] for row in rows] == ["M101", None, "M105"]
    assert "page 2" in r.stderr and "200x200 in" in r.stderr


def test_bad_input_in_pair_names_the_file(bad_files, cli_env):
    r = run("pair", TRANSATOMIC / "M101.pdf", bad_files / "locked.pdf", env=cli_env)
    assert r.returncode == 5 and "locked.pdf" in r.stderr


def test_image_set_by_cli(tmp_path, cli_env):

    with pdfium.PdfDocument(str(JP_HOUSE / "site-plan.pdf")) as pdf:
        img = pdf[0].render(scale=150 / 72, grayscale=True).to_pil()
    img.save(tmp_path / "site.tif", dpi=(150, 150))
    r = run("sheets", tmp_path / "site.tif", "--json", "--ocr", "off", env=cli_env)
    assert r.returncode == 0
    assert json.loads(r.stdout) == [{"page": 0, "number": None, "title": None,
                                     "source": "none", "confidence": 0.0}]
