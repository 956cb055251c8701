"""Deterministic summaries, written for a project manager, from the structured changes.

Locations use a sheet grid of cells about :data:`GRID_CELL_IN` inches square: columns
numbered from 1 at the left, rows lettered from A at the top (``C-4`` is the third row, the
fourth column). The LLM summaries of a later issue build on these facts.
"""

from __future__ import annotations

import string

GRID_CELL_IN = 4.25
_KIND_WORDS = {"added": "added", "removed": "removed", "modified": "changed", "moved": "moved"}


def grid_cell(bbox, page_pt: tuple[float, float]) -> str:
    """Grid reference (e.g. ``B-3``) of a box's centre; box in points, origin top-left."""
    w_pt, h_pt = page_pt
    cols = max(1, round(w_pt / 72 / GRID_CELL_IN))
    rows = max(1, min(26, round(h_pt / 72 / GRID_CELL_IN)))
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    col = min(cols, int(cx / w_pt * cols) + 1)
    row = min(rows, int(cy / h_pt * rows) + 1)
    return f"{string.ascii_uppercase[row - 1]}-{col}"


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an s unless ``n`` is 1 ("1 change", "3 changes")."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def sheet_summary(ident, changes: list[dict], title_block_changes: list[dict],
                  page_pt: tuple[float, float], *, title_block_found: bool = True,
                  held_stricter: bool = False, line_weight_factor: float | None = None,
                  paper_edge_changes: int = 0, moved_pens=(),
                  revision_clouds: list[dict] = ()) -> str:
    """One paragraph: how many changes of which kind, where, and the exact text changes.
    ``title_block_found`` False: the sheet's title block could not be located, so its
    changes (dates, revision marks) are among ``changes``; the paragraph says so.
    ``held_stricter``: the two versions differ slightly all over (a noisy re-scan), so small
    changes were held to a stricter level; it says so, as a reader should know what may
    have gone unlisted. ``line_weight_factor``: the new vector sheet was plotted with other
    line weights (its median line this many times the old one's width); it says so, once,
    and that weights alone are not listed as changes. ``paper_edge_changes``: how many
    changes lay at the paper's edge of a scan (listed apart); it says so. ``moved_pens``:
    pens whose lines are all drawn at another width (:class:`.line_weights.MovedPen`);
    it says so, once a pen. ``revision_clouds``: the clouds listed apart
    (:mod:`.revision_clouds`): how many were drawn and dropped, and, when the new sheet
    clouds some changes, which changes lie outside every cloud."""
    name = ident.number or f"page {ident.page + 1}"
    if not changes:
        text = f"{name}: no design changes found."
    else:
        counts: dict[str, int] = {}
        for c in changes:
            counts[c["kind"]] = counts.get(c["kind"], 0) + 1
        parts = [f"{n} {_KIND_WORDS.get(k, k)}" for k, n in sorted(counts.items())]
        cells = sorted({grid_cell(c["bbox"], page_pt) for c in changes})
        text = (f"{name}: {plural(len(changes), 'change')} ({', '.join(parts)}) "
                f"in grid {', '.join(cells[:8])}{' and more' if len(cells) > 8 else ''}.")
        small = sum(1 for c in changes if c.get("small"))
        if small:
            text += (f" {small} of them {'is' if small == 1 else 'are'} small (a digit, a "
                     "tick): the overlay shows unchanged ink there; compare the crops.")
        texts = []
        for c in changes:
            for t in c.get("text_changes", []):
                where = grid_cell(t["bbox"], page_pt)
                if t["kind"] == "moved" and t.get("from_bbox"):
                    was = grid_cell(t["from_bbox"], page_pt)
                    texts.append(f"\"{t['text_after']}\" moved"
                                 + (f" ({was} to {where})" if was != where else f" ({where})"))
                elif t["text_before"] and t["text_after"]:
                    texts.append(f"\"{t['text_before']}\" became \"{t['text_after']}\" ({where})")
                elif t["text_before"]:
                    texts.append(f"\"{t['text_before']}\" removed ({where})")
                else:
                    texts.append(f"\"{t['text_after']}\" added ({where})")
        text += _views_sentence(changes, page_pt)
        if texts:
            text += " Text: " + "; ".join(texts[:10]) + ("; ..." if len(texts) > 10 else "") + "."
    if title_block_changes:
        text += f" Title block: {plural(len(title_block_changes), 'change')} (dates, " \
                "revision marks; not design changes)."
    text += _clouds_sentence(changes, revision_clouds)
    if paper_edge_changes:
        text += (f" At the paper's edge: {plural(paper_edge_changes, 'change')} (where the "
                 "re-scan cropped the sheet; not design changes).")
    if held_stricter:
        text += (" The two scans differ slightly all over the sheet (scan noise, strokes "
                 "heavier or lighter), so only clear small changes (a digit, a tick) are "
                 "listed: check dimensions that matter on the sheet itself.")
    if line_weight_factor is not None:
        how = ("lines of other widths" if abs(line_weight_factor - 1) < 0.05
               else f"lines about {line_weight_factor:.1f}× as wide as before")
        text += (f" The new sheet was plotted with other line weights throughout ({how}: "
                 "another pen table or plot style); differences in line weight alone are not "
                 "listed, and only clear small changes (a digit, a tick) are.")
    if moved_pens:
        text += " " + " ".join(
            f"All {p.lines:,} lines drawn {p.old_pt:.2f} pt wide on the old sheet are "
            f"{p.new_pt:.2f} pt wide on the new one." for p in moved_pens) + (
            " Line weight alone is said here, not listed along every line.")
    if not title_block_found and changes:
        text += (" The title block was not located (no sheet number found), so changes to "
                 "it, if any, are listed with these.")
    return text


def set_summary(report: dict) -> str:
    """The set's paragraph: sheets compared, added, removed, renumbered, plotted with other
    line weights, not aligned or compared, most changed."""
    pairs = report["pairs"]
    new_sheets = {s["page"]: s for s in report["new"]["sheets"]}
    old_sheets = {s["page"]: s for s in report["old"]["sheets"]}

    def label(sheet, page):
        return sheet.get("number") or f"page {page + 1}"

    def pair_label(p):
        return p.get("number") or f"page {p['new_page'] + 1}"

    changed = [p for p in pairs if p.get("changes")]
    failed = [p for p in pairs if p.get("status") == "not_aligned"]
    broken = [p for p in pairs if p.get("status") == "failed"]
    # a pair not aligned or not compared is neither changed nor unchanged: it is said apart
    unchanged = len(pairs) - len(changed) - len(failed) - len(broken)
    if failed or broken:
        lines = [f"{plural(len(pairs), 'sheet')} paired; {len(changed)} with design changes, "
                 f"{unchanged} unchanged, {len(failed) + len(broken)} not compared."]
    else:
        lines = [f"{plural(len(pairs), 'sheet')} compared; {len(changed)} with design "
                 f"changes, {unchanged} unchanged."]
    if report["added_pages"]:
        lines.append("Added: " + ", ".join(label(new_sheets[p], p) for p in report["added_pages"])
                     + ".")
    if report["removed_pages"]:
        lines.append("Removed: " + ", ".join(label(old_sheets[p], p)
                                             for p in report["removed_pages"]) + ".")
    ren = [p for p in pairs if p.get("renumbered")]
    if ren:
        lines.append("Renumbered: " + ", ".join(f"{p['old_number']} → {p['new_number']}"
                                                for p in ren) + ".")
    pens = [p for p in pairs if (p.get("line_weights") or {}).get("changed")]
    if pens:  # a re-plot with another pen table: said once a sheet, and here for the set
        lines.append("Plotted with other line weights (another pen table or plot style; "
                     "weights alone not listed as changes): " + ", ".join(
                         f"{pair_label(p)} (lines {p['line_weights']['factor']:.1f}× as wide)"
                         for p in pens) + ".")
    heavier = [p for p in pairs if (p.get("line_weights") or {}).get("moved_pens")]
    if heavier:  # one pen's lines at another width: said once a sheet, and here
        lines.append("Lines of one pen drawn at another width: " + ", ".join(
            f"{pair_label(p)} (" + "; ".join(
                f"{m['old_pt']:.2f} → {m['new_pt']:.2f} pt"
                for m in p["line_weights"]["moved_pens"]) + ")" for p in heavier) + ".")
    if failed:
        lines.append("Could not be aligned (check by hand): "
                     + ", ".join(pair_label(p) for p in failed) + ".")
    if broken:
        lines.append("Could not be compared: " + ", ".join(
            f"{pair_label(p)} ({p.get('error') or '?'})" for p in broken) + ".")

    def area_in2(p):
        return sum(c.get("area_pt2", 0) for c in p["changes"]) / 72.0 ** 2

    most = sorted(changed, key=lambda p: -area_in2(p))[:5]
    if most:
        lines.append("Most changed, by changed area: " + ", ".join(
            f"{pair_label(p)} ({plural(len(p['changes']), 'change')}, {area_in2(p):.1f} in²)"
            for p in most) + ".")
    return " ".join(lines)


def _views_sentence(changes: list[dict], page_pt: tuple[float, float]) -> str:
    """A sentence for each part of the sheet that moved as a whole (a moved view, see
    moved_views.py): where, how far, and that what changed inside it was compared there."""
    out = ""
    for c in changes:
        if not c.get("view_shift_pt"):
            continue
        dx, dy = c["view_shift_pt"]
        ways = [f"{abs(v):.0f} pt ({abs(v) / 72:.2f} in) {word}" for v, word in
                ((dx, "right" if dx > 0 else "left"), (dy, "down" if dy > 0 else "up"))
                if abs(v) >= 0.5]
        w, h = (c["bbox"][2] - c["bbox"][0]) / 72, (c["bbox"][3] - c["bbox"][1]) / 72
        out += (f" A part of the sheet {w:.1f} by {h:.1f} in ({c['id']}, grid "
                f"{grid_cell(c['bbox'], page_pt)}) moved as a whole, {' and '.join(ways)}; "
                "the changes inside it are compared where it is now.")
    return out


def _clouds_sentence(changes: list[dict], clouds: list[dict]) -> str:
    """What a sheet's revision clouds say: how many the new revision drew and dropped (and
    the revisions their tags name), and the changes it did not cloud (their ids), when it
    clouded some. ``clouds``: the clouds and their tags, as listed apart."""
    def revisions(kind):  # the labels of its tags: "(revision 2)"
        labels = sorted({c["label"] for c in clouds if c.get("revision_tag")
                         and c["kind"] == kind and c.get("label")})
        return f" (revision {', '.join(labels)})" if labels else ""

    drawn = sum(1 for c in clouds if c.get("revision_cloud") and c["kind"] == "added")
    dropped = sum(1 for c in clouds if c.get("revision_cloud") and c["kind"] != "added")
    if not drawn and not dropped:
        return ""
    parts = [f"{plural(drawn, 'cloud')} drawn{revisions('added')}"] if drawn else []
    parts += ([f"{plural(dropped, 'cloud')} of the last revision{revisions('removed')} dropped"]
              if dropped else [])
    text = f" Revision clouds: {' and '.join(parts)} (not design changes)."
    if drawn and changes:
        outside = [c["id"] for c in changes if not c.get("in_cloud")]
        text += (f" Not clouded: {plural(len(outside), 'change')} ({', '.join(outside[:8])}"
                 f"{', ...' if len(outside) > 8 else ''})." if outside
                 else " Every change lies inside a cloud.")
    return text
