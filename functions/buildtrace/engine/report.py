"""Writing a comparison's report: ``report.json``, ``index.html`` and ``report.pdf``.

``index.html`` opens from disk in any browser (no server, no network): the sheet list, per
sheet the overlay with old/new/overlay toggles and the change list, and the set summary.
``report.pdf`` is the package a project manager forwards: a cover page with the set summary,
then per changed sheet the overlay with clouds and the change list.
"""

from __future__ import annotations

import html
import json
import os

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
    (inches, between the centres of where it was and where it is)."""
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


def _change_rows(p: dict) -> str:
    rows = []
    for c in p.get("changes", []):
        text = _e(_text_line(c, "→"))
        box = ", ".join(f"{v:.0f}" for v in c["bbox"])
        moved = (f" data-from='{json.dumps(c['from_bbox'])}'"
                 if c.get("kind") == "moved" and c.get("from_bbox") else "")
        rows.append(f"<tr data-box='{json.dumps(c['bbox'])}'{moved}><td>{_e(c['id'])}</td>"
                    f"<td>{_e(_kind(c))}</td><td>{box}</td><td>{text}</td></tr>")
    return "\n".join(rows) or "<tr><td colspan=4>no design changes</td></tr>"


def render_html(report: dict) -> str:
    items, sheets = [], []
    for i, p in enumerate(report["pairs"]):
        n = len(p.get("changes", []))
        label = p.get("number") or f"page {p['new_page'] + 1}"
        items.append(f"<li><a href='#s{i}'>{_e(label)}</a> <small>{n} change"
                     f"{'' if n == 1 else 's'}{' · renumbered' if p.get('renumbered') else ''}"
                     f"</small></li>")
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
                    f"<img src='{_e(ov['preview'])}' alt='overlay'></div>")
        else:
            view = "<p class=warn>No overlay: " + _e(p.get("summary")) + "</p>"
        sheets.append(
            f"<section id='s{i}'><h2>{_e(label)} <small>{_e(p.get('title'))}</small></h2>"
            f"<p>{_e(p.get('summary'))}</p>"
            f"<p class=meta>old page {p['old_page']} ({_e(p.get('old_number'))}) → new page "
            f"{p['new_page']} ({_e(p.get('new_number'))}); paired by {_e(p['match']['method'])}"
            f"; alignment {_e((p.get('alignment') or {}).get('method'))}"
            + _stretch_note(p)
            + ("; light colours compared as ink" if p.get("render_mode") == "ink" else "")
            + f"</p>{view}"
            f"<table><tr><th>id</th><th>kind</th><th>box (pt)</th><th>text</th></tr>"
            f"{_change_rows(p)}</table></section>")
    return f"""<!doctype html><html lang=en><meta charset=utf-8>
<title>BuildTrace comparison</title>
<style>
body{{font:14px system-ui,sans-serif;margin:0;display:flex}}
nav{{width:240px;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f4f4;padding:8px}}
main{{flex:1;padding:12px;min-width:0}} .view{{position:relative;border:1px solid #ccc}}
.view img{{width:100%;display:block}} .cloud{{position:absolute;border:2px solid #e00078;border-radius:6px}} .cloud-from{{position:absolute;border:2px dashed #e00078;border-radius:6px}}
table{{border-collapse:collapse;margin:8px 0}} td,th{{border:1px solid #ddd;padding:2px 6px}}
.meta{{color:#666}} .warn{{color:#b00}} small{{color:#666}}
.legend span{{padding:0 6px;margin-right:6px}}
#zoomer{{position:fixed;inset:0;background:#fff;display:none;z-index:9}}
#zoomer canvas{{width:100%;height:100%;cursor:grab}}
#zoomer button{{position:absolute;top:8px;right:8px}}
</style>
<div id=zoomer><canvas></canvas><button>close</button></div>
<nav><h1>BuildTrace</h1><p class=legend><span style='color:#dc1e1e'>■ removed</span>
<span style='color:#14a028'>■ added</span><span style='color:#969696'>■ unchanged</span></p>
<ul>{''.join(items)}</ul></nav>
<main><h1>Comparison</h1><p id=summary>{_e(report.get('summary'))}</p>
<p class=meta>old: {_e(report['old']['file'])}<br>new: {_e(report['new']['file'])}</p>
{''.join(sheets)}</main>
{_SCRIPT}</html>
"""


def write_pdf(report: dict, out_dir: str, path: str) -> None:
    """Cover page with the set summary, then one page per changed sheet."""
    from PIL import Image, ImageDraw, ImageFont

    W, H = PDF_PAGE_PX
    font = ImageFont.load_default(size=22)
    small = ImageFont.load_default(size=16)
    big = ImageFont.load_default(size=40)

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

    pages = []
    cover = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(cover)
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
    pages.append(cover)
    for p in report["pairs"]:
        if not p.get("changes") or not p.get("overlay"):
            continue
        page = Image.new("RGB", (W, H), "white")
        d = ImageDraw.Draw(page)
        label = p.get("number") or f"page {p['new_page'] + 1}"
        d.text((40, 24), f"{label}  {p.get('title') or ''}", fill="black", font=font)
        ov = p["overlay"]
        im = Image.open(os.path.join(out_dir, ov["preview"])).convert("RGB")
        page_w_pt = ov["width_px"] * 72.0 / ov["dpi"]
        box_w, box_h = W - 80, int(H * 0.62)
        f = min(box_w / im.width, box_h / im.height)
        k = f * im.width / page_w_pt  # PDF-page pixels per sheet point
        im = im.resize((int(im.width * f), int(im.height * f)), Image.LANCZOS)
        page.paste(im, (40, 70))
        def cloud(bbox, label, width):  # a box in sheet points, on the preview
            x0, y0, x1, y1 = (v * k for v in bbox)
            d.rectangle((40 + x0 - 5, 70 + y0 - 5, 40 + max(x1, x0 + 1) + 5,
                         70 + max(y1, y0 + 1) + 5), outline=CLOUD_RGB, width=width)
            d.text((40 + x1 + 6, 70 + y0 - 6), label, fill=CLOUD_RGB, font=small)

        for c in p["changes"]:
            cloud(c["bbox"], c["id"], 3)
            if c.get("kind") == "moved" and c.get("from_bbox"):  # where it was, thinner
                cloud(c["from_bbox"], f"{c['id']} was", 1)
        y = 70 + im.height + 14
        for line in wrap(d, p.get("summary", ""), small, W - 80)[:4]:
            d.text((40, y), line, fill="black", font=small)
            y += 22
        for c in p["changes"][:12]:
            text = f"{c['id']}  {_kind(c)}  {_text_line(c)}".rstrip()
            d.text((40, y), text[:160], fill="black", font=small)
            y += 20
        pages.append(page)
    pages[0].save(path, "PDF", resolution=150.0, save_all=True, append_images=pages[1:])


_SCRIPT = r"""<script>
for (const sec of document.querySelectorAll('section')) {
  const view = sec.querySelector('.view'); if (!view) continue;
  const img = view.querySelector('img');
  for (const b of sec.querySelectorAll('.toggles button[data-img]')) b.onclick = () => img.src = b.dataset.img;
  const z = sec.querySelector('button.zoom');
  if (z) z.onclick = () => openZoom(z.dataset.dzi, +z.dataset.w, +z.dataset.h, +z.dataset.tile);
  const w = +view.dataset.w, h = +view.dataset.h, dpi = +view.dataset.dpi;
  // a cloud per change; a moved one also gets a dashed cloud where it was
  const cloud = (box, cls) => {
    const [x0, y0, x1, y1] = JSON.parse(box).map(v => v * dpi / 72);
    const c = document.createElement('div'); c.className = cls;
    Object.assign(c.style, {left: 100 * x0 / w + '%', top: 100 * y0 / h + '%',
      width: 100 * (x1 - x0) / w + '%', height: 100 * (y1 - y0) / h + '%'});
    view.appendChild(c);
  };
  for (const tr of sec.querySelectorAll('tr[data-box]')) {
    cloud(tr.dataset.box, 'cloud');
    if (tr.dataset.from) cloud(tr.dataset.from, 'cloud-from');
  }
}
// Deep Zoom viewer: wheel to zoom, drag to pan; loads only the tiles in view.
function openZoom(dzi, W, H, T) {
  const box = document.getElementById('zoomer'), cv = box.querySelector('canvas');
  const ctx = cv.getContext('2d'), base = dzi.replace(/\.dzi$/, '_files/');
  const maxL = Math.ceil(Math.log2(Math.max(W, H))), cache = new Map();
  box.style.display = 'block';
  cv.width = cv.clientWidth; cv.height = cv.clientHeight;
  let s = Math.min(cv.width / W, cv.height / H), ox = 0, oy = 0;
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
  }
  cv.onwheel = e => { e.preventDefault(); const k = e.deltaY < 0 ? 1.25 : 0.8;
    ox = e.offsetX - (e.offsetX - ox) * k; oy = e.offsetY - (e.offsetY - oy) * k; s *= k; draw(); };
  let drag = null;
  cv.onmousedown = e => drag = [e.clientX - ox, e.clientY - oy];
  window.onmouseup = () => drag = null;
  cv.onmousemove = e => { if (drag) { ox = e.clientX - drag[0]; oy = e.clientY - drag[1]; draw(); } };
  box.querySelector('button').onclick = () => box.style.display = 'none';
  draw();
}
</script>"""
