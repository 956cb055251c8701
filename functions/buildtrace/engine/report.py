"""Writing a comparison's report: ``report.json``, ``index.html`` and ``report.pdf``.

``index.html`` opens from disk in any browser (no server, no network): the sheet list, per
sheet the overlay with old/new/overlay toggles and the change list, and the set summary.
``report.pdf`` is the package a project manager forwards: a cover page with the set summary,
then per changed sheet the overlay with clouds and the change list.
"""

from __future__ import annotations

import html
import json
import logging
import os

from .overlay import ADDED_RGB, REMOVED_RGB, UNCHANGED_RGB
from .pdf_canvas import EmbeddedFonts, PdfCanvas
from .summary import plural

#: report.pdf pages: ARCH-style landscape letter at this DPI.
PDF_PAGE_PX = (1650, 1275)
CLOUD_RGB = (230, 0, 120)


def write_report(report: dict, out_dir: str) -> dict[str, str]:
    """Write the three report files; returns their paths."""
    paths = {"json": os.path.join(out_dir, "report.json"),
             "html": os.path.join(out_dir, "index.html"),
             "pdf": os.path.join(out_dir, "report.pdf")}
    with open(paths["json"], "w", encoding="utf-8") as fh:
        json.dump(report, fh, ensure_ascii=False, indent=1)
    with open(paths["html"], "w", encoding="utf-8") as fh:
        fh.write(render_html(report))
    write_pdf(report, out_dir, paths["pdf"])
    return paths


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def _kind(c: dict) -> str:
    """A change's kind as listed: a small change (below the overlay's tolerance, so drawn
    as unchanged ink; its crops show it) says so; a move says how far it went on the sheet
    (inches, between the centres of where it was and where it is); a change inside a cloud
    the new sheet drew names the cloud, and a cloud what it marks."""
    if c.get("revision_tag"):  # (listed apart, with the clouds) whose
        what = "revision tag" + (f" {c['label']}" if c.get("label") else "")
        of = f" of {c['cloud']}" if c.get("cloud") else ""
        return f"{what}{of}" + (", dropped" if c["kind"] != "added" else "")
    if c.get("revision_cloud"):  # (listed apart) what it marks
        if c["kind"] != "added":
            return "cloud of the last revision, dropped"
        marks = c.get("marks") or []
        return "cloud drawn" + (f" around {', '.join(marks)}" if marks else "")
    if c.get("in_cloud"):
        return f"{_kind({k: v for k, v in c.items() if k != 'in_cloud'})}, in {c['in_cloud']}"
    if c.get("small"):
        return f"{c['kind']}, small"
    if c["kind"] == "moved" and c.get("from_bbox"):
        b, f = c["bbox"], c["from_bbox"]
        dx, dy = ((b[0] + b[2] - f[0] - f[2]) / 144, (b[1] + b[3] - f[1] - f[3]) / 144)
        parts = [f"{abs(dx):.1f} in {'right' if dx > 0 else 'left'}" if abs(dx) >= 0.05 else "",
                 f"{abs(dy):.1f} in {'down' if dy > 0 else 'up'}" if abs(dy) >= 0.05 else ""]
        return "moved " + ", ".join(p for p in parts if p) if any(parts) else "moved"
    return c["kind"]


def _text_line(c: dict, arrow: str = "->") -> str:
    """A change's text for its line in the list: ``"before" -> "after"``, or an added or
    removed text once (the PDF's font has no arrow glyph; the page uses "→")."""
    before, after = c.get("text_before"), c.get("text_after")
    if before and after and c["kind"] == "moved" and before == after:
        return f'"{after}"'  # the text moved with the ink: said once
    if before and after:
        return f'"{before}" {arrow} "{after}"'
    if after:  # said once: "c1 added "NOTE 2"", "c2 modified text added "NOTE 2""
        return f'"{after}"' if c["kind"] == "added" else f'text added "{after}"'
    if before:
        return f'"{before}"' if c["kind"] == "removed" else f'text removed "{before}"'
    return ""


def _stretch_note(pair: dict) -> str:
    """A re-scan's paper stretch, when the alignment fitted one: said in the sheet's line
    of facts, so a reader knows the overlay follows a stretched sheet."""
    stretch = (pair.get("alignment") or {}).get("stretch")
    if not stretch:
        return ""
    return f"; the re-scan's paper stretch (up to {stretch['max_pt']:.1f} pt) fitted"


def _label(p: dict) -> str:
    return p.get("number") or f"page {p['new_page'] + 1}"


def _sheet_label(sheet: dict) -> str:
    """An added or removed sheet's name: its number, else its page (from 1)."""
    return sheet.get("number") or f"page {sheet['page'] + 1}"


def _where(c: dict, arrow: str = "->") -> str:
    """A change's cell on the sheet grid; a move's as ``from -> to`` when it left its cell."""
    where = c.get("grid") or ""
    if c.get("from_grid") and c["from_grid"] != where:
        return f"{c['from_grid']} {arrow} {where}"
    return where


def _change_rows(changes: list[dict]) -> str:
    """The rows of a change table: id, what, where (the sheet grid of the summaries; the
    box in points as a tooltip), the text, and the old and new crops. A row carries its box
    (and a move's ``from_bbox``) for the clouds and for zooming to it."""
    rows = []
    for c in changes:
        text = _e(_text_line(c, "→"))
        box = ", ".join(f"{v:.0f}" for v in c["bbox"])
        moved = (f" data-from='{json.dumps(c['from_bbox'])}'"
                 if c.get("kind") == "moved" and c.get("from_bbox") else "")
        where = _e(_where(c, "→"))
        crops = c.get("crops") or {}
        imgs = "".join(f"<td class=crop>{_img(crops.get(k), k)}</td>" for k in ("old", "new"))
        rows.append(f"<tr data-box='{json.dumps(c['bbox'])}'{moved} title='zoom to "
                    f"{_e(c['id'])}'><td>{_e(c['id'])}</td><td>{_e(_kind(c))}</td>"
                    f"<td title='box in points: {box}'>{where}</td><td>{text}</td>{imgs}</tr>")
    return "\n".join(rows)


def _img(src, alt) -> str:
    return f"<img loading=lazy src='{_e(src)}' alt='{_e(alt)}'>" if src else ""


def _clouds_and_tags(marks: list[dict] | None) -> str:
    """How many revision clouds and tags a sheet lists apart: "2 clouds, 1 tag"."""
    tags = sum(1 for c in marks or () if c.get("revision_tag"))
    clouds = len(marks or ()) - tags
    return ", ".join([plural(clouds, "cloud")] + ([plural(tags, "tag")] if tags else []))


def _set_apart(changes: list[dict] | None, heading: str, why: str, cls: str,
               count: str | None = None) -> str:
    """A heading and a table for changes reported apart from the design changes (title
    block, paper edge, revision clouds), or nothing when there are none. ``count``: how
    many, said (default: "N changes")."""
    if not changes:
        return ""
    count = count or plural(len(changes), "change")
    return (f"<h3>{heading}: {count} ({why}; not design changes)"
            f"</h3>{_change_table(changes, cls)}")


def _change_table(changes: list[dict], cls: str) -> str:
    return (f"<table class={cls}><tr><th>id</th><th>change</th><th>where</th><th>text</th>"
            f"<th>before</th><th>after</th></tr>{_change_rows(changes)}</table>")


#: The sheet list's groups, in the order a reader wants them: what needs reading first.
_GROUPS = (("changed", "Changed"), ("check", "Check by hand"), ("added", "Added"),
           ("removed", "Removed"), ("unchanged", "Unchanged"))


def _group(p: dict) -> str:
    if p.get("status") in ("not_aligned", "failed"):
        return "check"
    return "changed" if p.get("changes") else "unchanged"


def _pair_section(i: int, p: dict) -> str:
    n = len(p.get("changes", []))
    ov = p.get("overlay")
    if ov:
        w, h = ov["width_px"], ov["height_px"]
        view = (f"<div class=toggles><button data-img='{_e(ov['preview'])}'>overlay</button>"
                f"<button data-img='{_e(ov['old'])}'>old</button>"
                f"<button data-img='{_e(ov['new'])}'>new</button> "
                + (f"<button class=zoom data-dzi='{_e(ov['dzi'])}' data-w='{w}' "
                   f"data-h='{h}' data-tile='{ov.get('tile_px') or 512}'>zoom</button> "
                   if ov.get("dzi") else "")
                + f"<a href='{_e(ov['png'])}'>full resolution ({w}×{h} px)</a></div>"
                f"<div class=view data-w='{w}' data-h='{h}' data-dpi='{ov['dpi']}'>"
                f"<img loading=lazy src='{_e(ov['preview'])}' alt='overlay'></div>")
    else:
        view = "<p class=warn>No overlay: " + _e(p.get("summary")) + "</p>"
        sv, size = p.get("sheet_views") or {}, p.get("sheet_sizes_pt") or {}
        if sv.get("old") and sv.get("new"):
            # not aligned: the two sheets side by side, to check by hand; with their sizes,
            # points clicked on them become the command line's --align option
            view += (f"<div class=side-by-side data-pages='{p['old_page']}:{p['new_page']}'>"
                     + "".join(
                         f"<figure data-side={side} data-size='{json.dumps(size.get(side))}'>"
                         f"<figcaption>{side}: PDF page {p[side + '_page'] + 1}</figcaption>"
                         f"<div class=pick>{_img(sv[side], side + ' sheet')}</div></figure>"
                         for side in ("old", "new")) + "</div>"
                     + ("<p class=align-help>To align them by hand, click the same two or "
                        "three points (far apart: corners of the border, grid marks) on the "
                        "old sheet and on the new one, in the same order.</p>"
                        "<p><code class=align-cmd></code> <button class=align-reset>start "
                        "again</button></p>" if size.get("old") and size.get("new") else ""))
    return (
        f"<section id='s{i}'><h2>{_e(_label(p))} <small>{_e(p.get('title'))}</small></h2>"
        f"<p>{_e(p.get('summary'))}</p>"
        f"<p class=meta>old: PDF page {p['old_page'] + 1} ({_e(p.get('old_number'))}) → new: "
        f"PDF page {p['new_page'] + 1} ({_e(p.get('new_number'))}); "
        f"paired by {_e(p['match']['method'])}"
        f"; alignment {_e((p.get('alignment') or {}).get('method'))}"
        + _stretch_note(p)
        + ("; light colours compared as ink" if p.get("render_mode") == "ink" else "")
        + f"</p>{view}"
        + (_change_table(p["changes"], "changes") if n else
           "<p class=meta>No design changes.</p>" if ov else "")
        + _set_apart(p.get("title_block_changes"), "Title block", "dates, revision marks",
                     "title-block")
        + _set_apart(p.get("paper_edge_changes"), "At the paper's edge",
                     "where the re-scan cropped the sheet", "paper-edge")
        + _set_apart(p.get("revision_clouds"), "Revision clouds",
                     "drawn around changes, or the last revision's dropped, and their tags",
                     "revision-clouds", _clouds_and_tags(p.get("revision_clouds")))
        + _unconfirmed_text(p)
        + "</section>")


def _unconfirmed_text(p: dict) -> str:
    """Where two scans' OCR text layers differ but the ink did not change: listed apart,
    folded, so a reader can check them (a row zooms to its place) without their being
    counted as changes."""
    layers = p.get("text_layers") or {}
    rows = layers.get("unconfirmed") or []
    if not rows:
        return ""
    n = len(rows)
    body = "".join(
        f"<tr data-box='{json.dumps(t['bbox'])}' title='zoom to it'><td>{_e(t.get('grid'))}</td>"
        f"<td>{_e(t.get('text_before'))}</td><td>{_e(t.get('text_after'))}</td></tr>"
        for t in rows)
    return (f"<details class=unconfirmed><summary>Text layers differ where the ink did not "
            f"change: {n} place{'' if n == 1 else 's'} (the scans' OCR layers agree on "
            f"{100 * layers['agreement']:.0f}% of their words; not counted as changes)"
            f"</summary><table class=unconfirmed><tr><th>where</th><th>old text layer</th>"
            f"<th>new text layer</th></tr>{body}</table></details>")


def _unpaired_section(sheet: dict, side: str) -> str:
    """A sheet only one set has: added (new set) or removed (old set), with its image."""
    word = "added" if side == "new" else "removed"
    label = _sheet_label(sheet)
    what = "Added: in the new set only" if side == "new" else "Removed: in the old set only"
    img = (f"<div class=view>{_img(sheet['preview'], word + ' sheet')}</div>"
           if sheet.get("preview") else "")
    return (f"<section id='{word}-{sheet['page']}' class={word}><h2>{_e(label)} "
            f"<small>{_e(sheet.get('title'))}</small></h2><p>{what} (PDF page "
            f"{sheet['page'] + 1}).</p>{img}</section>")


def _unpaired(report: dict, side: str) -> list[dict]:
    """``added_sheets``/``removed_sheets``, or made from the page lists of a report that
    has none (one written before those fields)."""
    key = "added" if side == "new" else "removed"
    if f"{key}_sheets" in report:
        return report[f"{key}_sheets"]
    rows = {s["page"]: s for s in (report.get(side) or {}).get("sheets", [])}
    return [{"page": p, "number": rows.get(p, {}).get("number"),
             "title": rows.get(p, {}).get("title"), "preview": None}
            for p in report.get(f"{key}_pages", [])]


def sheet_index(report: dict) -> dict[str, list[dict]]:
    """Every sheet of the comparison in the report's groups (:data:`_GROUPS`: changed, to
    check by hand, added, removed, unchanged; set order within each): per sheet its
    ``anchor`` (its section's id on the page), ``label``, ``title``, a short ``note`` (its
    changes, "could not be aligned", "renumbered from M205") and its ``pair`` (index in
    ``report["pairs"]``) or ``sheet`` (an added or removed sheet). The page's sheet list and
    report.pdf's cover index are both this."""
    groups: dict[str, list[dict]] = {g: [] for g, _ in _GROUPS}
    for i, p in sorted(enumerate(report["pairs"]), key=lambda t: t[1]["new_page"]):
        n = len(p.get("changes", []))
        tb = len(p.get("title_block_changes") or [])
        note = ("could not be aligned" if p.get("status") == "not_aligned" else
                "not compared" if p.get("status") == "failed" else
                f"{n} change{'' if n == 1 else 's'}" if n else
                "title block only" if tb else "")
        renumbered = ""
        if p.get("renumbered"):
            renumbered = (f"renumbered from {p['old_number']}" if p.get("old_number")
                          else "renumbered")
        groups[_group(p)].append({"anchor": f"s{i}", "label": _label(p), "title": p.get("title"),
                                  "note": " · ".join(t for t in (note, renumbered) if t),
                                  "pair": i})
    for side, g in (("new", "added"), ("old", "removed")):
        for sheet in _unpaired(report, side):
            groups[g].append({"anchor": f"{g}-{sheet['page']}", "label": _sheet_label(sheet),
                              "title": sheet.get("title"),
                              "note": f"{side} set only, PDF page {sheet['page'] + 1}",
                              "sheet": sheet})
    return groups


def render_html(report: dict) -> str:
    """The report page: the sheet list in groups (changed, to check by hand, added, removed,
    unchanged; set order within each), then a section per sheet in the same order."""
    index = sheet_index(report)
    groups = {g: [(e["anchor"], e["label"], e["note"]) for e in rows]
              for g, rows in index.items()}
    sections = {g: [_pair_section(e["pair"], report["pairs"][e["pair"]]) if "pair" in e
                    else _unpaired_section(e["sheet"], "new" if g == "added" else "old")
                    for e in rows] for g, rows in index.items()}
    nav = "".join(
        f"<h3>{title} ({len(groups[g])})</h3><ul class={g}>"
        + "".join(f"<li><a href='#{a}'>{_e(label)}</a> <small>{_e(note)}</small></li>"
                  for a, label, note in groups[g]) + "</ul>"
        for g, title in _GROUPS if groups[g])
    body = "".join(s for g, _ in _GROUPS for s in sections[g])
    return f"""<!doctype html><html lang=en><meta charset=utf-8>
<title>BuildTrace comparison</title>
<style>
body{{font:14px system-ui,sans-serif;margin:0;display:flex}}
nav{{width:240px;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f4f4;padding:8px}}
nav h3{{margin:12px 0 2px;font-size:14px}} nav ul{{margin:0;padding-left:18px}}
main{{flex:1;padding:12px;min-width:0}} .view{{position:relative;border:1px solid #ccc}}
.view img{{width:100%;display:block}} .cloud{{position:absolute;border:2px solid #e00078;border-radius:6px}} .cloud-from{{position:absolute;border:2px dashed #e00078;border-radius:6px}}
table{{border-collapse:collapse;margin:8px 0}} td,th{{border:1px solid #ddd;padding:2px 6px}}
tr[data-box]{{cursor:zoom-in}} tr[data-box]:hover{{background:#fdf0f6}}
td.crop img{{max-width:220px;max-height:160px;display:block;border:1px solid #eee}}
.side-by-side{{display:flex;gap:8px}} .side-by-side figure{{flex:1;margin:0}}
.side-by-side img{{width:100%;border:1px solid #ccc;display:block}} .pick{{position:relative;cursor:crosshair}}
.pick .dot{{position:absolute;width:18px;height:18px;margin:-9px 0 0 -9px;border-radius:50%;background:#e00078;color:#fff;font:12px/18px sans-serif;text-align:center;pointer-events:none}}
code.align-cmd{{background:#f4f4f4;padding:2px 4px;user-select:all}}
.meta{{color:#666}} .warn{{color:#b00}} small{{color:#666}}
.legend span{{padding:0 6px;margin-right:6px}}
#zoomer{{position:fixed;inset:0;background:#fff;display:none;z-index:9}}
#zoomer canvas{{width:100%;height:100%;cursor:grab}}
#zoomer button{{position:absolute;top:8px;right:8px}}
</style>
<div id=zoomer><canvas></canvas><button>close</button></div>
<nav><h1>BuildTrace</h1><p class=legend><span style='color:#dc1e1e'>■ removed</span>
<span style='color:#14a028'>■ added</span><span style='color:#969696'>■ unchanged</span></p>
{nav}</nav>
<main><h1>Comparison</h1><p id=summary>{_e(report.get('summary'))}</p>
<p class=meta>old: {_e(report['old']['file'])}<br>new: {_e(report['new']['file'])}</p>
{body}</main>
{_SCRIPT}</html>
"""


def _strings(value):
    """Every string in ``value`` (a report's JSON), depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


#: report.pdf's detail pages: the changes of a sheet with their before/after crops, this
#: many cells across and down a page, and at most this many changes a sheet (a sheet with
#: more is listed whole in index.html and report.json; the PDF says so).
DETAIL_GRID = (3, 3)
MAX_DETAIL_CHANGES = 45


#: report.pdf's cover index: a row's height and its columns' left edges (layout pixels):
#: sheet, title, what changed, and the report page its section starts on (right-aligned to
#: the last edge).
INDEX_ROW_PX = 26
INDEX_COLUMNS = (80, 270, 1040, 1480, 1570)
#: The overlay's colours as the legend names them (those of :data:`.overlay.PALETTE`).
LEGEND = (("removed", REMOVED_RGB), ("added", ADDED_RGB), ("unchanged", UNCHANGED_RGB))


def write_pdf(report: dict, out_dir: str, path: str) -> None:
    """Cover pages with the set summary, the overlay's legend and an index of every sheet
    (grouped as on the page: changed, to check by hand, added, removed, unchanged; each row
    with the report page its section starts on, and a link to it); per changed sheet the
    overlay with its clouds and change list, then its changes in detail (each change's old
    and new crops side by side, which is what a reader forwarded the PDF looks at); then
    each pair that could not be aligned, its two sheets side by side; then each added and
    removed sheet. The PDF's bookmarks list the same sections by group.

    Laid out in pixels of a page at 150 DPI (:data:`PDF_PAGE_PX`) and drawn as PDF objects
    (:class:`.pdf_canvas.PdfCanvas`): the text is text (searchable, crisp when printed),
    the clouds are vector boxes, and each image is embedded at the resolution it was made
    at. Images are read from ``out_dir``; one missing is left out, not an error."""
    import pypdfium2 as pdfium
    from PIL import Image

    W, H = PDF_PAGE_PX
    font, small, big = 22, 16, 40  # text sizes, layout pixels

    def wrap(draw, text, fnt, width):
        lines, cur = [], ""
        for word in str(text).split():
            trial = f"{cur} {word}".strip()
            if draw.textlength(trial, font=fnt) > width and cur:
                lines.append(cur)
                cur = word
            else:
                cur = trial
        return lines + ([cur] if cur else [])

    def image(name):
        f = os.path.join(out_dir, name) if name else None
        return Image.open(f).convert("RGB") if f and os.path.exists(f) else None

    def fitted(im, w, h):  # the size (w, h) that fits, never enlarged more than 3 times
        f = min(w / im.width, h / im.height, 3.0)
        return max(1, int(im.width * f)), max(1, int(im.height * f))

    doc = pdfium.PdfDocument.new()
    # characters Helvetica cannot set (a Japanese sheet title, "→"), embedded once
    fonts = EmbeddedFonts(doc, _strings(report))

    def new_page():
        return PdfCanvas(doc, (W, H), fonts)

    # the cover's header now; its index once every section's page is known (the cover
    # pages are made first, so the sections' page numbers are final as they are made)
    d = new_page()
    d.text((80, 80), "BuildTrace — drawing set comparison", fill="black", font=big)
    y = 170
    for label in ("old", "new"):
        d.text((80, y), f"{label}: {os.path.basename(report[label]['file'])} "
               f"({len(report[label]['sheets'])} sheets)", fill="black", font=font)
        y += 34
    y += 20
    for line in wrap(d, report.get("summary", ""), font, W - 160):
        d.text((80, y), line, fill="black", font=font)
        y += 32
    _legend(d, 80, y + 12, small)
    index = sheet_index(report)
    index_y = y + 70  # the index's first line on the first cover page (its column heads)
    cover_pages = _paginate_index(index, (H - 60 - index_y) // INDEX_ROW_PX - 1,
                                  (H - 60 - 130) // INDEX_ROW_PX)
    covers = [d] + [new_page() for _ in cover_pages[1:]]
    starts: dict[str, int] = {}  # a section's anchor -> its first page (0-based)
    for i, p in enumerate(report["pairs"]):
        if not p.get("changes") or not p.get("overlay"):
            continue
        starts[f"s{i}"] = len(doc)
        d = new_page()
        label = _label(p)
        legend = _legend(d, 0, 0, small, draw=False)
        _legend(d, W - 40 - legend, 28, small)
        d.text((40, 24), _clipped(d, f"{label}  {p.get('title') or ''}", font,
                                  W - 120 - legend), fill="black", font=font)
        ov = p["overlay"]
        im = image(ov["preview"])
        y = 70
        if im is not None:
            page_w_pt = ov["width_px"] * 72.0 / ov["dpi"]
            box_w, box_h = W - 80, int(H * 0.62)
            f = min(box_w / im.width, box_h / im.height)
            k = f * im.width / page_w_pt  # layout pixels per sheet point
            shown = (int(im.width * f), int(im.height * f))
            d.paste(im, (40, 70), shown)

            def cloud(bbox, label, width):  # a box in sheet points, on the preview
                x0, y0, x1, y1 = (v * k for v in bbox)
                d.rectangle((40 + x0 - 5, 70 + y0 - 5, 40 + max(x1, x0 + 1) + 5,
                             70 + max(y1, y0 + 1) + 5), outline=CLOUD_RGB, width=width)
                d.text((40 + x1 + 6, 70 + y0 - 6), label, fill=CLOUD_RGB, font=small)

            for c in p["changes"]:
                cloud(c["bbox"], c["id"], 3)
                if c.get("kind") == "moved" and c.get("from_bbox"):  # where it was, thinner
                    cloud(c["from_bbox"], f"{c['id']} was", 1)
            y = 70 + shown[1] + 14
        for line in wrap(d, p.get("summary", ""), small, W - 80)[:4]:
            d.text((40, y), line, fill="black", font=small)
            y += 22
        for c in p["changes"][:12]:
            text = f"{c['id']}  {_kind(c)}  {_where(c)}  {_text_line(c)}".rstrip()
            d.text((40, y), _clipped(d, text, small, W - 80), fill="black", font=small)
            y += 20
        if len(p["changes"]) > 12:
            d.text((40, y), f"... and {len(p['changes']) - 12} more: each on the pages that "
                   "follow", fill="black", font=small)
        d.finish()
        _detail_pages(p, label, image, fitted, wrap, new_page, (W, H), font, small)
    for i, p in enumerate(report["pairs"]):
        sv = p.get("sheet_views") or {}
        if p.get("status") != "not_aligned" or not sv:
            continue
        starts[f"s{i}"] = len(doc)
        d = new_page()
        d.text((40, 24), f"{_label(p)}  {p.get('title') or ''}", fill="black", font=font)
        for row, line in enumerate(wrap(d, p.get("summary", ""), small, W - 80)[:3]):
            d.text((40, 56 + 20 * row), line, fill=(176, 0, 0), font=small)
        half = (W - 100) // 2
        for j, side in enumerate(("old", "new")):
            d.text((40 + j * (half + 20), 130), f"{side}: PDF page {p[side + '_page'] + 1}",
                   fill="black", font=small)
            im = image(sv.get(side))
            if im is not None:
                d.paste(im, (40 + j * (half + 20), 160), fitted(im, half, H - 200))
        d.finish()
    for group, side, word in (("added", "new", "added"), ("removed", "old", "removed")):
        for entry in index[group]:
            sheet = entry["sheet"]
            starts[entry["anchor"]] = len(doc)
            d = new_page()
            d.text((40, 24), f"{_sheet_label(sheet)}  {sheet.get('title') or ''}",
                   fill="black", font=font)
            d.text((40, 56), f"{word.capitalize()}: in the {side} set only (PDF page "
                   f"{sheet['page'] + 1})", fill="black", font=small)
            im = image(sheet.get("preview"))
            if im is not None:
                d.paste(im, (40, 90), fitted(im, W - 80, H - 130))
            d.finish()
    links = _draw_index(covers, cover_pages, starts, index_y, small)
    for d in covers:
        d.finish()
    doc.save(path)
    fonts.close()
    doc.close()
    try:
        _add_navigation(path, links, _outline(index, starts))
    except Exception:  # the pages are written: without links and bookmarks, still the report
        logging.getLogger(__name__).exception("report.pdf: links and bookmarks not added")


def _legend(d: PdfCanvas, x: float, y: float, size: float, draw: bool = True) -> float:
    """The overlay's colours and the change box, on one line from (``x``, ``y``), layout
    pixels (top-left); returns its width (only that when not ``draw``)."""
    x0 = x
    for name, rgb in LEGEND:
        if draw:
            d.rectangle((x, y + 2, x + size, y + 2 + size), outline=None, fill=rgb)
            d.text((x + size + 6, y), name, font=size)
        x += size + 6 + d.textlength(name, size) + 24
    last = "a change, its id beside it"
    if draw:
        d.rectangle((x, y + 1, x + 1.6 * size, y + 3 + size), outline=CLOUD_RGB, width=2)
        d.text((x + 1.6 * size + 6, y), last, font=size)
    return x + 1.6 * size + 6 + d.textlength(last, size) - x0


def _clipped(d: PdfCanvas, text: str, size: float, width: float) -> str:
    """``text`` cut to ``width`` layout pixels at ``size``, an ellipsis marking the cut."""
    text = str(text or "")
    if d.textlength(text, size) <= width:
        return text
    lo, hi = 0, len(text)  # the longest prefix that fits with the ellipsis
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if d.textlength(text[:mid].rstrip() + "…", size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _paginate_index(index: dict[str, list[dict]], first: int, rest: int) -> list[list]:
    """The cover index's lines, page by page: a group's heading (``("group", "Changed
    (3)")``) then its sheets (``("sheet", entry)``), ``first`` lines on the first cover
    page and ``rest`` on each after it; a heading never ends a page, and a page that starts
    inside a group starts with its heading again (``"Unchanged (297), continued"``)."""
    lines = []
    for g, title in _GROUPS:
        if index[g]:
            lines.append(("group", f"{title} ({len(index[g])})"))
            lines.extend(("sheet", e) for e in index[g])
    pages: list[list] = [[]]
    heading = ""
    for n, line in enumerate(lines):
        room = (first if len(pages) == 1 else rest) - len(pages[-1])
        if room <= 0 or (room == 1 and line[0] == "group" and n + 1 < len(lines)):
            pages.append([] if line[0] == "group" else [("group", f"{heading}, continued")])
        if line[0] == "group":
            heading = line[1]
        pages[-1].append(line)
    return pages


def _draw_index(covers: list[PdfCanvas], pages: list[list], starts: dict[str, int],
                first_y: float, size: float) -> list[tuple[int, tuple, int]]:
    """Draw the cover index (:func:`_paginate_index`) on the cover pages, from ``first_y``
    (layout pixels) on the first; return its links: (cover page, rectangle in PDF points,
    y up, target page), pages 0-based."""
    H = PDF_PAGE_PX[1]
    x_sheet, x_title, x_note, x_page, x_end = INDEX_COLUMNS
    grey = (110, 110, 110)
    links = []
    for n, (d, lines) in enumerate(zip(covers, pages)):
        y = first_y
        if n:
            d.text((80, 70), "Sheets (continued)", font=22)
            y = 130 - INDEX_ROW_PX
        for x, head in ((x_sheet, "sheet"), (x_title, "title"), (x_note, "what changed")):
            d.text((x, y + 4), head, fill=grey, font=size)
        d.text((x_end - d.textlength("page", size), y + 4), "page", fill=grey, font=size)
        y += INDEX_ROW_PX
        for kind, *rest in lines:
            if kind == "group":
                d.text((x_sheet, y + 6), rest[0], font=size + 2)
                y += INDEX_ROW_PX
                continue
            e = rest[0]
            d.text((x_sheet + 12, y + 4), _clipped(d, e["label"], size, x_title - x_sheet - 28),
                   font=size)
            d.text((x_title, y + 4), _clipped(d, e.get("title") or "", size,
                                              x_note - x_title - 16), font=size)
            d.text((x_note, y + 4), _clipped(d, e["note"], size, x_page - x_note - 16),
                   font=size)
            target = starts.get(e["anchor"])
            if target is not None:
                page = f"p. {target + 1}"
                d.text((x_end - d.textlength(page, size), y + 4), page, fill=CLOUD_RGB,
                       font=size)
                k = d.k
                links.append((n, (x_sheet * k, (H - y - INDEX_ROW_PX) * k, x_end * k,
                                  (H - y) * k), target))
            y += INDEX_ROW_PX
    return links


def _outline(index: dict[str, list[dict]], starts: dict[str, int]) -> list[tuple]:
    """report.pdf's bookmarks: (title, page, children) for the cover, then per group its
    sections that have pages (set order), each ``"M101 TITLE: 5 changes"``."""
    outline = [("Summary and sheet index", 0, [])]
    for g, title in _GROUPS:
        children = [(" ".join(t for t in (e["label"], e.get("title") or "") if t)
                     + (f": {e['note']}" if e["note"] else ""), starts[e["anchor"]], [])
                    for e in index[g] if e["anchor"] in starts]
        if children:
            outline.append((f"{title} ({len(children)})", children[0][1], children))
    return outline


def _add_navigation(path: str, links: list[tuple[int, tuple, int]], outline: list[tuple]
                    ) -> None:
    """Add the cover index's links and the bookmarks to the PDF at ``path``, appended as
    an incremental update (pypdf: PDFium cannot make either), so PDFium's pages are kept
    byte for byte."""
    from pypdf import PdfWriter
    from pypdf.annotations import Link

    writer = PdfWriter(path, incremental=True)
    for page, rect, target in links:
        writer.add_annotation(page, Link(rect=rect, target_page_index=target, border=[0, 0, 0]))

    def add(items, parent=None):
        for title, page, children in items:
            item = writer.add_outline_item(title=title, page_number=page, parent=parent,
                                           is_open=False)
            add(children, item)

    add(outline)
    writer.page_mode = "/UseOutlines"
    tmp = f"{path}.part"
    try:
        with open(tmp, "wb") as fh:
            writer.write(fh)
        os.replace(tmp, path)
    finally:
        writer.close()
        if os.path.exists(tmp):  # (not written whole: the PDF stays as PDFium wrote it)
            os.remove(tmp)


def _detail_pages(p: dict, label: str, image, fitted, wrap, new_page, size, font,
                  small) -> None:
    """report.pdf's pages of a sheet's changes in detail: a grid of cells, each a change's
    line (id, what, where, text) over its old and new crops side by side."""
    W, H = size
    cols, rows = DETAIL_GRID
    cell_w, cell_h = (W - 80) // cols, (H - 100) // rows
    shown = p["changes"][:MAX_DETAIL_CHANGES]
    for start in range(0, len(shown), cols * rows):
        d = new_page()
        d.text((40, 24), f"{label}: changes in detail (before | after)", fill="black", font=font)
        for n, c in enumerate(shown[start:start + cols * rows]):
            x, y = 40 + (n % cols) * cell_w, 70 + (n // cols) * cell_h
            head = f"{c['id']}  {_kind(c)}  {_where(c)}  {_text_line(c)}".strip()
            lines = wrap(d, head, small, cell_w - 16)[:2]
            for i, line in enumerate(lines):
                d.text((x, y + i * 19), line, fill=CLOUD_RGB if i == 0 else "black", font=small)
            top = y + 44
            half = (cell_w - 24) // 2
            for j, key in enumerate(("old", "new")):
                im = image((c.get("crops") or {}).get(key))
                left = x + j * (half + 8)
                d.rectangle((left, top, left + half, y + cell_h - 12), outline=(210, 210, 210))
                if im is not None:
                    tw, th = fitted(im, half - 4, y + cell_h - 16 - top - 2)
                    d.paste(im, (left + 2 + (half - 4 - tw) // 2, top + 2), (tw, th))
        if start + cols * rows >= len(shown) and len(p["changes"]) > len(shown):
            d.text((40, H - 30), f"{len(p['changes']) - len(shown)} more changes on this sheet "
                   "are listed in index.html and report.json.", fill="black", font=small)
        d.finish()


_SCRIPT = r"""<script>
for (const sec of document.querySelectorAll('section')) {
  const view = sec.querySelector('.view'); if (!view || !view.dataset.dpi) continue;
  const img = view.querySelector('img');
  for (const b of sec.querySelectorAll('.toggles button[data-img]')) b.onclick = () => img.src = b.dataset.img;
  const z = sec.querySelector('button.zoom');
  const w = +view.dataset.w, h = +view.dataset.h, dpi = +view.dataset.dpi;
  // a cloud per design change; a moved one also gets a dashed cloud where it was
  const boxes = [];
  const cloud = (box, cls) => {
    const [x0, y0, x1, y1] = box.map(v => v * dpi / 72);
    boxes.push({box: [x0, y0, x1, y1], dashed: cls === 'cloud-from'});
    const c = document.createElement('div'); c.className = cls;
    Object.assign(c.style, {left: 100 * x0 / w + '%', top: 100 * y0 / h + '%',
      width: 100 * (x1 - x0) / w + '%', height: 100 * (y1 - y0) / h + '%'});
    view.appendChild(c);
  };
  for (const tr of sec.querySelectorAll('table.changes tr[data-box]')) {
    cloud(JSON.parse(tr.dataset.box), 'cloud');
    if (tr.dataset.from) cloud(JSON.parse(tr.dataset.from), 'cloud-from');
  }
  if (!z) continue;  // made without tiles: no zoom viewer
  const zoom = focus => openZoom(z.dataset.dzi, w, h, +z.dataset.tile, boxes, focus);
  z.onclick = () => zoom(null);
  // a change's row opens the zoom on it (and on where a moved one was)
  for (const tr of sec.querySelectorAll('tr[data-box]')) tr.onclick = () => {
    const b = JSON.parse(tr.dataset.box), f = tr.dataset.from ? JSON.parse(tr.dataset.from) : b;
    zoom([Math.min(b[0], f[0]), Math.min(b[1], f[1]), Math.max(b[2], f[2]), Math.max(b[3], f[3])]
      .map(v => v * dpi / 72));
  };
}
// A pair that could not be aligned: points clicked on its two sheets (the same points, in
// the same order) become the command line's --align option (PDF points, 0-based pages).
for (const box of document.querySelectorAll('.side-by-side')) {
  const out = box.parentElement.querySelector('.align-cmd'); if (!out) continue;
  const picks = {old: [], new: []};
  const fmt = q => q.map(v => v.toFixed(1)).join(',');
  const show = () => {
    const n = Math.min(picks.old.length, picks.new.length);
    out.textContent = n < 2 ? `points picked: old ${picks.old.length}, new ${picks.new.length}`
      : '--align ' + box.dataset.pages + picks.old.slice(0, n).map((o, i) => '@' + fmt(o) + '=' + fmt(picks.new[i])).join('');
  };
  for (const fig of box.querySelectorAll('figure')) {
    const side = fig.dataset.side, [wpt, hpt] = JSON.parse(fig.dataset.size), pick = fig.querySelector('.pick');
    pick.querySelector('img').onclick = e => {
      if (picks[side].length >= 3) return;
      const r = e.target.getBoundingClientRect();
      const fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
      picks[side].push([fx * wpt, fy * hpt]);
      const dot = document.createElement('span'); dot.className = 'dot'; dot.textContent = picks[side].length;
      Object.assign(dot.style, {left: 100 * fx + '%', top: 100 * fy + '%'}); pick.appendChild(dot);
      show();
    };
  }
  box.parentElement.querySelector('.align-reset').onclick = () => {
    picks.old = []; picks.new = []; box.querySelectorAll('.dot').forEach(d => d.remove()); show();
  };
  show();
}
// Deep Zoom viewer: wheel to zoom, drag to pan, Escape closes; loads only the tiles in
// view and draws the change clouds (boxes in full-size pixels). ``focus``: a box to show.
function openZoom(dzi, W, H, T, boxes, focus) {
  const box = document.getElementById('zoomer'), cv = box.querySelector('canvas');
  const ctx = cv.getContext('2d'), base = dzi.replace(/\.dzi$/, '_files/');
  const maxL = Math.ceil(Math.log2(Math.max(W, H))), cache = new Map();
  box.style.display = 'block';
  cv.width = cv.clientWidth; cv.height = cv.clientHeight;
  let s = Math.min(cv.width / W, cv.height / H), ox = 0, oy = 0;
  if (focus) {  // the box and a margin as large as itself each side, at most 2× full size
    const fw = Math.max(focus[2] - focus[0], 50) * 3, fh = Math.max(focus[3] - focus[1], 50) * 3;
    s = Math.min(2, Math.max(s, Math.min(cv.width / fw, cv.height / fh)));
    ox = cv.width / 2 - s * (focus[0] + focus[2]) / 2; oy = cv.height / 2 - s * (focus[1] + focus[3]) / 2;
  }
  function tile(l, c, r) {
    const k = l + '/' + c + '_' + r;
    if (!cache.has(k)) { const im = new Image(); im.onload = draw; im.src = base + k + '.png'; cache.set(k, im); }
    return cache.get(k);
  }
  function draw() {
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, cv.width, cv.height);
    const l = Math.max(0, Math.min(maxL, maxL + Math.ceil(Math.log2(s))));
    const f = Math.pow(2, maxL - l), lw = Math.ceil(W / f), lh = Math.ceil(H / f);
    const c0 = Math.max(0, Math.floor(-ox / (s * f * T))), r0 = Math.max(0, Math.floor(-oy / (s * f * T)));
    const c1 = Math.min(Math.ceil(lw / T), Math.ceil((cv.width - ox) / (s * f * T)));
    const r1 = Math.min(Math.ceil(lh / T), Math.ceil((cv.height - oy) / (s * f * T)));
    for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) {
      const im = tile(l, c, r);
      if (im.complete && im.naturalWidth) ctx.drawImage(im, ox + c * T * f * s, oy + r * T * f * s, im.naturalWidth * f * s, im.naturalHeight * f * s);
    }
    ctx.strokeStyle = '#e00078'; ctx.lineWidth = 2;
    for (const b of boxes || []) {
      ctx.setLineDash(b.dashed ? [6, 4] : []);
      ctx.strokeRect(ox + b.box[0] * s - 4, oy + b.box[1] * s - 4, (b.box[2] - b.box[0]) * s + 8, (b.box[3] - b.box[1]) * s + 8);
    }
    ctx.setLineDash([]);
  }
  cv.onwheel = e => { e.preventDefault(); const k = e.deltaY < 0 ? 1.25 : 0.8;
    ox = e.offsetX - (e.offsetX - ox) * k; oy = e.offsetY - (e.offsetY - oy) * k; s *= k; draw(); };
  let drag = null;
  cv.onmousedown = e => drag = [e.clientX - ox, e.clientY - oy];
  window.onmouseup = () => drag = null;
  cv.onmousemove = e => { if (drag) { ox = e.clientX - drag[0]; oy = e.clientY - drag[1]; draw(); } };
  const close = () => box.style.display = 'none';
  box.querySelector('button').onclick = close;
  document.onkeydown = e => { if (e.key === 'Escape') close(); };
  draw();
}
</script>"""
