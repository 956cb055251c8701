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
