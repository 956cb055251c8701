"""The ``buildtrace`` command line: the whole engine on one machine, no cloud.

    buildtrace sheets SET [--json] [--ocr auto|off|only]
    buildtrace pair OLD NEW [--json] [--pair OLD_PAGE:NEW_PAGE ...] [--ocr ...]
    buildtrace compare OLD NEW --out DIR [--dpi ...] [--pair ...] [--align ...] [--ignore ...]

Pages are 0-based in JSON and in ``--pair``, as everywhere in BuildTrace; tables show them
0-based too so that what you read is what you type. Exit codes are listed in ``EXIT_CODES``
and in the README.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from typing import Sequence

from .engine.drawing_set import open_set
from .engine.errors import (BuildTraceError, CorruptPdfError, EmptySetError, EncryptedPdfError,
                            MissingFileError, PageTooLargeError, PairingError,
                            UnsupportedFileError)
from .engine.identify import HIGH_CONFIDENCE, SheetIdentity, identify_set
from .engine.ocr import default_recognizer
from .engine.pairing import page_fingerprint, pair_sheets

EXIT_CODES = {
    0: "success",
    1: "unexpected error",
    2: "bad command line",
    MissingFileError.exit_code: "file not found",
    UnsupportedFileError.exit_code: "not a PDF or PNG/JPEG/TIFF image (or content does not "
                                    "match the name, e.g. a JPEG named .pdf)",
    EncryptedPdfError.exit_code: "password-protected PDF",
    CorruptPdfError.exit_code: "corrupt or unreadable PDF or image",
    EmptySetError.exit_code: "PDF with no pages",
    PageTooLargeError.exit_code: "a page beyond the pixel budget (other pages still reported)",
    PairingError.exit_code: "an explicit --pair that cannot be applied",
    10: "compare: some sheet pairs could not be compared (see report.json)",
}


def _progress(total: int, desc: str, enabled: bool):
    """A tqdm bar on stderr (hidden when not a terminal or --quiet)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="sheet", file=sys.stderr, leave=False,
                disable=not (enabled and sys.stderr.isatty()))


def _identify(path: str, ocr: str, show_progress: bool):
    """Open and identify a set; returns (identities, page errors). Raises on a bad file."""
    recognizer = None if ocr == "off" else default_recognizer()
    with open_set(path) as drawing_set:
        with _progress(len(drawing_set), f"reading {path}", show_progress) as bar:
            return identify_set(drawing_set, recognizer=recognizer,
                                use_text_layer=(ocr != "only"),
                                on_page=lambda _ident: bar.update(1))


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _sheet_row(s: SheetIdentity) -> dict:
    return {"page": s.page, "number": s.number, "title": s.title, "source": s.source,
            "confidence": round(s.confidence, 3)}


def _fmt_conf(c: float) -> str:
    return f"{c:.2f}" + ("" if c >= HIGH_CONFIDENCE or c == 0 else " ?")


def cmd_sheets(args) -> int:
    sheets, errors = _identify(args.set, args.ocr, not args.quiet)
    if args.json:
        print(json.dumps([_sheet_row(s) for s in sheets], ensure_ascii=False, indent=2))
    else:
        rows = [(s.page, s.number or "-", s.title or "-", s.source, _fmt_conf(s.confidence))
                for s in sheets]
        print(_table(rows, ("page", "number", "title", "source", "confidence")))
        unsure = sum(1 for s in sheets if s.confidence < HIGH_CONFIDENCE)
        if unsure:
            print(f"\n{unsure} of {len(sheets)} sheet(s) marked '?' are below "
                  f"{HIGH_CONFIDENCE:.2f} confidence: check them.")
    return _report_page_errors(errors)


def _report_page_errors(errors: Sequence[BuildTraceError]) -> int:
    for e in errors:
        print(f"buildtrace: error: {e}", file=sys.stderr)
    return max((e.exit_code for e in errors), default=0)


def _parse_pairs(values: Sequence[str]) -> list[tuple[int, int]]:
    out = []
    for v in values or []:
        try:
            a, b = v.split(":")
            out.append((int(a), int(b)))
        except ValueError:
            raise PairingError(f"--pair {v!r}: expected OLD_PAGE:NEW_PAGE, e.g. 3:4 "
                               f"(0-based pages)") from None
    return out


def _parse_align(v: str) -> tuple[tuple[int, int], list]:
    """``OLD_PAGE:NEW_PAGE@OX,OY=NX,NY@OX,OY=NX,NY[@...]``: a pair aligned by hand from 2 or
    3 point pairs (0-based pages; each point in PDF points of its sheet, origin top-left,
    y down; ``=`` joins a point of the old sheet to the same point on the new one). Returns
    the pages and the 2×3 matrix (old-sheet points to new-sheet points)."""
    from .engine.geometry import matrix_from_point_pairs

    try:
        pages, *picks = v.split("@")
        a, b = pages.split(":")
        old_pts, new_pts = [], []
        for pick in picks:
            o, n = pick.split("=")
            old_pts.append([float(x) for x in o.split(",")])
            new_pts.append([float(x) for x in n.split(",")])
        if not all(len(q) == 2 for q in old_pts + new_pts):
            raise ValueError("a point is X,Y")
        return (int(a), int(b)), matrix_from_point_pairs(old_pts, new_pts).tolist()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{v!r}: expected OLD_PAGE:NEW_PAGE@OX,OY=NX,NY@OX,OY=NX,NY (0-based pages, 2 or 3 "
            f"point pairs in PDF points, origin top-left, y down) ({exc})") from None


def cmd_pair(args) -> int:
    explicit = _parse_pairs(args.pair)
    old, old_errors = _identify(args.old, args.ocr, not args.quiet)
    new, new_errors = _identify(args.new, args.ocr, not args.quiet)
    with ExitStack() as stack:
        sets = {"old": stack.enter_context(open_set(args.old)),
                "new": stack.enter_context(open_set(args.new))}

        def thumbnails(side: str, page: int):
            return page_fingerprint(sets[side].page(page))

        result = pair_sheets(old, new, explicit=explicit, thumbnails=thumbnails)
    old_by, new_by = {s.page: s for s in old}, {s.page: s for s in new}
    if args.json:
        doc = result.to_dict()
        doc["old"] = {"file": args.old, "sheets": [_sheet_row(s) for s in old]}
        doc["new"] = {"file": args.new, "sheets": [_sheet_row(s) for s in new]}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        rows = [(p.old_page, p.old_number or "-", p.new_page, p.new_number or "-", p.method,
                 _fmt_conf(p.confidence), "renumbered" if p.renumbered else "")
                for p in result.pairs]
        print(_table(rows, ("old page", "old number", "new page", "new number", "method",
                            "confidence", "")))
        for label, pages, by in (("removed (old only)", result.removed, old_by),
                                 ("added (new only)", result.added, new_by)):
            print(f"\n{label}: " + (", ".join(
                f"page {p} {by[p].number or '(no number)'}" for p in pages) or "none"))
        print("\nrenumbered: " + (", ".join(f"{p.old_number} -> {p.new_number}"
                                            for p in result.renumbered) or "none"))
        for note in result.notes:
            print(f"note: {note}")
    return _report_page_errors([*old_errors, *new_errors])


def _parse_box(v: str) -> tuple[float, float, float, float]:
    try:
        box = tuple(float(x) for x in v.split(","))
        if len(box) != 4 or box[2] <= box[0] or box[3] <= box[1]:
            raise ValueError
        return box
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{v!r}: expected X0,Y0,X1,Y1 in points of the new sheet (top-left origin, y down)"
        ) from None


def cmd_compare(args) -> int:
    import os

    from .engine.compare_sets import compare_sets
    from .engine.report import write_report

    explicit = _parse_pairs(args.pair)
    alignments = dict(args.align or ())
    explicit += [pages for pages in alignments if pages not in explicit]
    bars = {}

    def progress(stage: str, done: int, total: int) -> None:
        if args.quiet or not sys.stderr.isatty():
            return
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = _progress(total, stage, True)
        bar.n = done
        bar.refresh()

    if args.tolerance is not None and not 0 < args.tolerance <= 36:
        print("buildtrace: error: --tolerance must be between 0 and 36 points", file=sys.stderr)
        return 2
    report = compare_sets(args.old, args.new, args.out, dpi=args.dpi, jobs=args.jobs,
                          tolerance_pt=args.tolerance,
                          explicit=explicit, alignments=alignments,
                          ignore=args.ignore or (), ocr=args.ocr,
                          tiles=not args.no_tiles, progress=progress)
    for bar in bars.values():
        bar.close()
    paths = write_report(report, args.out)
    print(report["summary"])
    print(f"\nreport: {os.path.abspath(paths['html'])}")
    print(f"        {os.path.abspath(paths['pdf'])}")
    print(f"        {os.path.abspath(paths['json'])}")
    failed = [p for p in report["pairs"] if p.get("status") == "failed"]
    return 10 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="buildtrace", description="Compare revisions of construction drawing sets.",
        epilog="exit codes: " + "; ".join(f"{k} {v}" for k, v in sorted(EXIT_CODES.items())))
    sub = parser.add_subparsers(dest="command", required=True)
    ocr_help = ("auto: OCR the title block when the text layer has no sheet number (default); "
                "off: never OCR; only: ignore the text layer")

    p = sub.add_parser("sheets", help="list the sheets of a set: number, title, source")
    p.add_argument("set", help="a PDF, or one PNG/JPEG/TIFF image")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--ocr", choices=("auto", "off", "only"), default="auto", help=ocr_help)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sheets)

    p = sub.add_parser("pair", help="pair the sheets of two revisions")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--pair", action="append", metavar="OLD_PAGE:NEW_PAGE",
                   help="force a pair (0-based pages); repeatable; overrides the automatic "
                        "pairing for those pages")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--ocr", choices=("auto", "off", "only"), default="auto", help=ocr_help)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_pair)

    p = sub.add_parser("compare", help="compare two revisions: overlays, changes, report")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--out", required=True, help="folder for report.json, index.html, "
                                                "report.pdf and the images")
    p.add_argument("--dpi", type=float, default=150.0,
                   help="overlay resolution (default 150; 300 for print detail)")
    p.add_argument("--tolerance", type=float, default=None, metavar="PT",
                   help="ink within this distance (points) of ink on the other sheet is "
                        "unchanged (default 0.75 pt = 0.26 mm)")
    p.add_argument("--jobs", type=int, default=1,
                   help="sheets compared in parallel (0.4-0.5 GB each at 300 DPI)")
    p.add_argument("--pair", action="append", metavar="OLD_PAGE:NEW_PAGE",
                   help="force a pair (0-based pages); repeatable")
    p.add_argument("--align", action="append", type=_parse_align,
                   metavar="OLD_PAGE:NEW_PAGE@OX,OY=NX,NY@OX,OY=NX,NY",
                   help="align a pair by hand (it is paired too): 2 or 3 point pairs, each a "
                        "point of the old sheet = the same point on the new one, in PDF "
                        "points (origin top-left, y down); the report page of a pair that "
                        "could not be aligned writes this option for you; repeatable")
    p.add_argument("--ignore", action="append", type=_parse_box, metavar="X0,Y0,X1,Y1",
                   help="a region to ignore, in points of the new sheet (top-left origin, "
                        "y down); repeatable")
    p.add_argument("--ocr", choices=("auto", "off", "only"), default="auto", help=ocr_help)
    p.add_argument("--no-tiles", action="store_true", help="skip the Deep Zoom tiles")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BuildTraceError as exc:
        print(f"buildtrace: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("buildtrace: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
