"""Shared fixtures: the real drawings in examples/drawings (MIT, see LICENSE-drawings.md)
and sets and bad files made from them."""

from __future__ import annotations

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DRAWINGS = ROOT / "examples" / "drawings"
TRANSATOMIC = DRAWINGS / "transatomic"
JP_HOUSE = DRAWINGS / "jp-house"


def transatomic_truth(path: pathlib.Path) -> str:
    """The file name of a Transatomic sheet is its drawing number (SOURCES.md)."""
    return "E0002" if path.stem == "one-line-diagram" else path.stem


@pytest.fixture(scope="session")
def transatomic_sheets() -> list[pathlib.Path]:
    files = sorted(TRANSATOMIC.glob("*.pdf"))
    assert len(files) == 19
    return files


@pytest.fixture(scope="session")
def transatomic_set(tmp_path_factory, transatomic_sheets) -> pathlib.Path:
    """All 19 Transatomic sheets as one 19-page PDF, in file-name order."""
    from buildtrace.synth import merge_pdfs

    out = tmp_path_factory.mktemp("sets") / "transatomic.pdf"
    return pathlib.Path(merge_pdfs(transatomic_sheets, out))


@pytest.fixture(scope="session")
def cli_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "functions")
    return env


# --- the local stack (buildtrace.localstack) for the pipeline and API tests -------------

STACK_BASE_PORT = 28000


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    from buildtrace.localstack import stack as st

    d = tmp_path_factory.mktemp("stack")
    env = st.up(d, STACK_BASE_PORT, extra_env={"BUILDTRACE_JOB_THRESHOLD": "10",
                                         "BUILDTRACE_PAIRS_PER_TASK": "5"}, quiet=True)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    from buildtrace.cloud import storage, store

    storage.client.cache_clear()
    store.db.cache_clear()
    try:
        yield env
    finally:
        st.down(d, quiet=True)
        _assert_ports_closed(st.ports(STACK_BASE_PORT))
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        storage.client.cache_clear()
        store.db.cache_clear()


def _assert_ports_closed(ports: dict) -> None:
    """`down` stopped everything `up` started: no port of the stack still answers."""
    import socket

    for name, port in ports.items():
        with socket.socket() as sock:
            sock.settimeout(0.5)
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"{name} still listens on {port}"


@pytest.fixture(scope="session")
def demo_sets(tmp_path_factory):
    """The example pair: 18 Transatomic sheets, and a revision with a sheet added, one
    withdrawn, one renumbered and three edited (examples/make_revision.py)."""
    from buildtrace.synth import make_example_pair

    return make_example_pair(TRANSATOMIC, tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def small_sets(tmp_path_factory):
    """Three sheets, and a revision whose second page is damaged (its page object is not a
    page: PDFium cannot load it) and whose third sheet has edits."""
    import pikepdf

    from buildtrace.synth import make_revision, merge_pdfs

    d = tmp_path_factory.mktemp("small")
    t = ROOT / "examples" / "drawings" / "transatomic"
    old = merge_pdfs([t / "M105.pdf", t / "M106.pdf", t / "M107.pdf"], d / "old.pdf")
    rev = make_revision(t / "M107.pdf", d / "rev", seed=5, n_edits=3)
    new = merge_pdfs([t / "M105.pdf", t / "M106.pdf", rev["new"]], d / "new-ok.pdf")
    with pikepdf.open(new) as pdf:
        pdf.Root.Pages.Kids[1] = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font))
        pdf.save(d / "new.pdf")
    return pathlib.Path(old), d / "new.pdf"




def compare_with_a_blank_sheet(tmp_path, size_in=(34, 22), name="p", **kwargs) -> dict:
    """M101 compared with a blank sheet of ``size_in`` inches: a pair that cannot be
    aligned (its result, images written under ``tmp_path``; ``kwargs`` go to
    ``compare_pair``)."""
    import pypdfium2 as pdfium

    from buildtrace.engine.compare import compare_pair
    from buildtrace.engine.drawing_set import open_set
    from buildtrace.engine.identify import identify_page

    blank = pdfium.PdfDocument.new()
    blank.new_page(size_in[0] * 72, size_in[1] * 72).close()
    blank.save(str(tmp_path / "blank.pdf"))
    with open_set(TRANSATOMIC / "M101.pdf") as so, open_set(tmp_path / "blank.pdf") as sn:
        po, pn = so.page(0), sn.page(0)
        return compare_pair(po, pn, identify_page(po), identify_page(pn), str(tmp_path), name,
                            **kwargs)
