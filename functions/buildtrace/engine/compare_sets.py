"""Comparing two drawing sets end to end: identify, pair, compare every pair, summarise.

This is the one core the CLI, the cloud functions and the Cloud Run job call. Pairs are
compared in worker processes (``jobs``); each worker opens the sets itself and holds one
pair's strips at a time (about 400 MB at 300 DPI for a 48×36 in pair, see ``make bench``).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Sequence

from .compare import CHANGE_GROUPS, PairOptions, compare_pair, write_sheet_preview
from .drawing_set import open_set
from .errors import BuildTraceError, PairingError
from .identify import identify_set
from .ocr import default_recognizer
from .pairing import page_fingerprint, pair_sheets
from .summary import set_summary

SCHEMA = "buildtrace.report/1"


def sheet_row(s) -> dict:
    """A sheet of report.json's ``old``/``new`` lists."""
    return {"page": s.page, "number": s.number, "title": s.title, "source": s.source,
            "confidence": round(s.confidence, 3)}


def pair_name(pair) -> str:
    """The file-name prefix of a pair's images (the new page, 0-based, three digits)."""
    return f"p{pair.new_page:03d}"


def compare_one(old_path, new_path, pair, old_ident, new_ident, out_dir, options,
                matrix=None) -> dict:
    """Compare one pair of an identified pairing, never raising for a bad sheet (the sheet
    fails with its reason, not the set). ``matrix`` (2×3, old-sheet points to new-sheet
    points) replaces the automatic alignment. Returns the pair's result (see
    :func:`pair_entry`)."""
    try:
        with open_set(old_path) as so, open_set(new_path) as sn:
            return compare_pair(so.page(pair.old_page), sn.page(pair.new_page), old_ident,
                                new_ident, out_dir, pair_name(pair), options, matrix=matrix)
    except BuildTraceError as exc:
        return {"status": "failed", "error": str(exc), **{g: [] for g in CHANGE_GROUPS},
                "overlay": None, "alignment": None, "summary": f"Not compared: {exc.message}"}


def pair_entry(pair, result: dict, new_ident) -> dict:
    """A pair's entry of ``report.json``: the pairing fields, then ``compare_one``'s result."""
    entry = {"old_page": pair.old_page, "new_page": pair.new_page,
             "number": pair.new_number or pair.old_number,
             "old_number": pair.old_number, "new_number": pair.new_number,
             "renumbered": pair.renumbered,
             "match": {"method": pair.method, "confidence": round(pair.confidence, 3)},
             "title": new_ident.title}
    entry.update(result)
    return entry


def assemble_report(old_file: str, new_file: str, old_idents, new_idents, pairing,
                    entries: list[dict], options, notes=(), previews=None) -> dict:
    """The ``buildtrace.report/1`` dict from its parts (the CLI and the cloud's finalize
    step both build it here, so the contract has one author). ``previews``: image files of
    the sheets added and removed, by (``"new"``/``"old"``, page), where they were made."""
    previews = previews or {}

    def unpaired(side, idents, pages):  # the sheets only one set has, as the report shows them
        by_page = {s.page: s for s in idents}
        return [{"page": p, "number": by_page[p].number if p in by_page else None,
                 "title": by_page[p].title if p in by_page else None,
                 "preview": previews.get((side, p))} for p in pages]

    report = {
        "schema": SCHEMA,
        "old": {"file": old_file, "sheets": [sheet_row(s) for s in old_idents]},
        "new": {"file": new_file, "sheets": [sheet_row(s) for s in new_idents]},
        "options": {"dpi": options.dpi, "tolerance_pt": options.tolerance_pt,
                    "ignore": [list(b) for b in options.ignore]},
        "pairs": entries,
        "added_pages": pairing.added,
        "removed_pages": pairing.removed,
        "added_sheets": unpaired("new", new_idents, pairing.added),
        "removed_sheets": unpaired("old", old_idents, pairing.removed),
        "renumbered": pairing.to_dict()["renumbered"],
        "notes": pairing.notes + list(notes),
    }
    report["summary"] = set_summary(report)
    return report


def compare_sets(old_path: str, new_path: str, out_dir: str, *, dpi: float = 150.0,
                 jobs: int = 1, explicit: Sequence[tuple[int, int]] = (), alignments=None,
                 ignore=(), ocr: str = "auto", tiles: bool = True,
                 tolerance_pt: float | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Compare two sets; writes images under ``out_dir`` and returns the report dict
    (``buildtrace.report/1``; see the README). ``progress(stage, done, total)``.
    ``alignments``: {(old page, new page): 2×3 matrix, old-sheet points to new-sheet points}
    for pairs aligned by hand (they must be paired, e.g. by ``explicit``)."""
    os.makedirs(out_dir, exist_ok=True)
    recognizer = None if ocr == "off" else default_recognizer()
    idents, errors = {}, []
    for side, path in (("old", old_path), ("new", new_path)):
        with open_set(path) as s:
            total = len(s)
            done = [0]

            def tick(_ident, side=side, total=total, done=done):
                done[0] += 1
                if progress:
                    progress(f"reading {side} set", done[0], total)

            idents[side], errs = identify_set(s, recognizer=recognizer,
                                              use_text_layer=(ocr != "only"), on_page=tick)
            errors.extend(errs)
    with open_set(old_path) as so, open_set(new_path) as sn:
        sets = {"old": so, "new": sn}
        pairing = pair_sheets(idents["old"], idents["new"], explicit=explicit,
                              thumbnails=lambda side, p: page_fingerprint(sets[side].page(p)))
    old_by = {s.page: s for s in idents["old"]}
    new_by = {s.page: s for s in idents["new"]}
    options = PairOptions(dpi=dpi, ignore=tuple(tuple(b) for b in ignore), tiles=tiles,
                          ocr=(ocr != "off"))
    if tolerance_pt is not None:
        options.tolerance_pt = tolerance_pt
    results: dict[int, dict] = {}
    total = len(pairing.pairs)
    if progress:
        progress("comparing sheets", 0, total)
    alignments = alignments or {}
    unpaired = set(alignments) - {(p.old_page, p.new_page) for p in pairing.pairs}
    if unpaired:
        raise PairingError(f"aligned by hand but not paired: {sorted(unpaired)} (pair them "
                           "too)")
    args = [(old_path, new_path, p, old_by[p.old_page], new_by[p.new_page], out_dir, options,
             alignments.get((p.old_page, p.new_page))) for p in pairing.pairs]
    if jobs <= 1 or total <= 1:
        for i, a in enumerate(args):
            results[i] = compare_one(*a)
            if progress:
                progress("comparing sheets", i + 1, total)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(compare_one, *a): i for i, a in enumerate(args)}
            for n, fut in enumerate(as_completed(futures), 1):
                results[futures[fut]] = fut.result()
                if progress:
                    progress("comparing sheets", n, total)
    entries = [pair_entry(p, results[i], new_by[p.new_page]) for i, p in enumerate(pairing.pairs)]
    previews = sheet_previews(old_path, new_path, pairing, out_dir)
    return assemble_report(os.path.abspath(old_path), os.path.abspath(new_path), idents["old"],
                           idents["new"], pairing, entries, options, [str(e) for e in errors],
                           previews)


def sheet_previews(old_path: str, new_path: str, pairing, out_dir: str) -> dict:
    """Preview images of the sheets only one set has (``added-p016.png``: new page 16;
    ``removed-p016.png``: old page 16), by (side, page). A page that cannot be rendered gets
    none; the report still lists it."""
    previews = {}
    for side, path, pages, word in (("new", new_path, pairing.added, "added"),
                                    ("old", old_path, pairing.removed, "removed")):
        if not pages:
            continue
        with open_set(path) as s:
            for p in pages:
                name = f"{word}-p{p:03d}.png"
                try:
                    write_sheet_preview(s.page(p), os.path.join(out_dir, name))
                except BuildTraceError:
                    continue
                previews[side, p] = name
    return previews
