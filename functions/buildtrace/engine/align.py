"""Aligning two revisions of a sheet: a 2×3 matrix from old-sheet points to new-sheet points.

Coarse on small images, refined locally: the earlier system ran SIFT on whole sheets at full
resolution (10.7 s and 3.9 GB for one 34×22 in sheet at 150 DPI); here ORB features on a
sheet reduced to about :data:`COARSE_PX` pixels on its long side find the rough transform
(shift, rotation including 90/180° turns, scale), and phase correlation of ink patches
at :data:`FINE_DPI` corrects it to a fraction of a point.

Frames: the matrix maps (x, y) in PDF points of the old sheet (origin top-left, y down) to
PDF points of the new sheet, same convention. Rasters passed in are uint8 grayscale, 0 ink.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .geometry import homogeneous, pixels_to_points, points_to_pixels
from .overlay import INK_THRESHOLD
from .stretch import MAX_PT as STRETCH_MAX_PT
from .stretch import StretchField, directed_norm, held_out_misfits, paper_stretch
from .stretch import misfits as stretch_misfits

#: Long side, in pixels, of the images the coarse alignment works on.
COARSE_PX = 1600
#: Resolution of the local refinement.
FINE_DPI = 100.0
#: Side of a refinement patch, in points (2 in).
PATCH_PT = 144.0
#: A refined transform must explain the patch shifts within this, in points.
INLIER_TOL_PT = 1.5


@dataclass
class Alignment:
    """``matrix``: 2×3, old-sheet points → new-sheet points (top-left origin, y down).
    ``ok`` False means "could not align": the matrix must not be used for an overlay.
    ``stretch``: a re-scan's paper stretch beyond the matrix (:mod:`.stretch`), or None."""

    matrix: np.ndarray
    confidence: float
    method: str
    ok: bool
    residual_pt: float | None = None
    notes: list[str] = field(default_factory=list)
    stretch: StretchField | None = None

    def to_dict(self) -> dict:
        return {"matrix": [[round(float(v), 6) for v in row] for row in self.matrix],
                "confidence": round(self.confidence, 3), "method": self.method, "ok": self.ok,
                "residual_pt": None if self.residual_pt is None else round(self.residual_pt, 3),
                "notes": self.notes,
                "stretch": None if self.stretch is None else self.stretch.to_dict()}


def coarse_align(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Similarity transform (2×3, old pixels → new pixels) from ORB features and RANSAC,
    or None. Rotation is free, so 90/180° turns are found like small ones."""
    orb = cv2.ORB_create(nfeatures=4000, scaleFactor=1.2, nlevels=8, fastThreshold=10)
    ko, do = orb.detectAndCompute(old, None)
    kn, dn = orb.detectAndCompute(new, None)
    if do is None or dn is None or len(ko) < 10 or len(kn) < 10:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    matches = matcher.knnMatch(do, dn, k=2)
    good = [m[0] for m in matches if len(m) == 2 and m[0].distance < 0.8 * m[1].distance]
    if len(good) < 8:
        return None
    src = np.float32([ko[m.queryIdx].pt for m in good])
    dst = np.float32([kn[m.trainIdx].pt for m in good])
    m, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                             ransacReprojThreshold=3.0, maxIters=5000,
                                             confidence=0.999)
    if m is None:
        return None
    return m, int(inliers.sum())


def _ink(img: np.ndarray) -> np.ndarray:
    """Ink as float32 (0 paper, 255 black): what phase correlation compares (its result
    does not depend on the scale)."""
    return cv2.subtract(255, img).astype(np.float32)


def patch_shifts(old_fine: np.ndarray, new_fine: np.ndarray, m_px,
                 fine_dpi: float, max_patches: int | None = None, patch_pt: float = PATCH_PT,
                 edge_to_edge: bool = False, min_ink: float = 0.01,
                 grain: tuple[float, float] = (0.0, 0.0), directions: bool = True,
                 over_edges: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where ink patches of the old sheet, warped by ``m_px`` (2×3, old fine pixels → new
    fine pixels; or a function of the patches' top-left corners (n×2, new fine pixels) and
    side (pixels) giving each patch's matrix, n×2×3), still sit off the new sheet.

    Returns (centres, shifts), each n×2 in new fine pixels: the ink of a patch of the
    warped old sheet centred at c appears at c + shift on the new one; and how far each
    shift can be trusted in each direction (n×2×2, the structure tensor of the patch's ink
    scaled to a largest eigenvalue of 1: a patch that holds one straight line fixes its
    shift across the line only, and has a tensor near n nᵀ for the line's normal n; the
    new sheet's ``grain`` (:func:`scan_grain`) is taken off it; zeros unless
    ``directions``: the refinement does without).

    Patches are ``patch_pt`` wide, side by side over the new sheet from half a patch inside
    its edges or, ``edge_to_edge``, from its edges (at most ``max_patches``, evenly picked
    among those with at least ``min_ink`` of full ink on average); those without a clear
    correlation peak are left out. ``over_edges``: instead, patches centred on the sheet's
    edges, half beyond them (paper there): a sheet's border line a few points from its edge
    lies in the tapered fringe of every patch inside the sheet, and only these measure it.
    The outermost :data:`EDGE_BAND_PT` of both sheets is left out of them (a scanner draws
    a line of its own there, which does not move with the drawing).

    Only the patches are warped, each from the old sheet by ``m_px`` shifted to the
    patch: a fraction of warping the whole sheet."""
    h, w = new_fine.shape
    patch = int(patch_pt / 72 * fine_dpi)
    win = cv2.createHanningWindow((patch, patch), cv2.CV_32F)
    paper = 255 * (1 - min_ink)  # a patch with less ink (mean gray above) is skipped
    pad = 0
    ys = sorted(set(range(0, h - patch, patch)) | {max(0, h - patch)})
    xs = sorted(set(range(0, w - patch, patch)) | {max(0, w - patch)})
    if over_edges:
        pad = patch // 2
        band = max(1, int(round(EDGE_BAND_PT / 72 * fine_dpi)))
        old_fine = cv2.copyMakeBorder(old_fine[band:-band, band:-band], band, band, band, band,
                                      cv2.BORDER_CONSTANT, value=255)
        new_fine = cv2.copyMakeBorder(new_fine[band:-band, band:-band], band + pad, band + pad,
                                      band + pad, band + pad, cv2.BORDER_CONSTANT, value=255)
        # the old sheet is compared where the new one shows: what it carries beyond the new
        # sheet's edge (a border line cut off by the re-scan) has nothing to match
        outside = np.ones(new_fine.shape, bool)
        outside[pad + band:pad + h - band, pad + band:pad + w - band] = False
        # ... and a line along the edge that the edge cuts is not measured: cut, it shows
        # less of itself on one sheet than on the other (lines across the edge touch its
        # rim at a point, lines along it all the way)
        rim = cv2.dilate(outside.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool) & ~outside
        places = ([(x, y) for x in xs for y in (-pad, h - pad)]
                  + [(x, y) for y in ys for x in (-pad, w - pad)]
                  + [(x, y) for x in (-pad, w - pad) for y in (-pad, h - pad)])
    elif edge_to_edge:
        places = [(x, y) for y in ys for x in xs]
    else:
        ys, xs = range(patch // 2, h - patch, patch), range(patch // 2, w - patch, patch)
        places = [(x, y) for y in ys for x in xs]
    inked = [(x, y) for x, y in places
             if cv2.mean(new_fine[y + pad:y + pad + patch, x + pad:x + pad + patch])[0] <= paper]
    if max_patches is not None and len(inked) > max_patches:
        inked = [inked[int(i)] for i in np.linspace(0, len(inked) - 1, max_patches).round()]
    if callable(m_px):
        per_patch = m_px(np.array(inked, float).reshape(-1, 2), patch)
    else:
        per_patch = [m_px] * len(inked)
    pts_new, shifts, tensors = [], [], []
    for (x, y), m_patch in zip(inked, per_patch):
        to_patch = np.array(m_patch, float)
        to_patch[:, 2] -= (x, y)  # old pixels -> pixels of the patch at (x, y)
        warped = cv2.warpAffine(old_fine, to_patch, (patch, patch), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=255)
        here = np.s_[y + pad:y + pad + patch, x + pad:x + pad + patch]  # the patch in new_fine
        if over_edges:
            warped[outside[here]] = 255
            at_rim, cut = rim[here], EDGE_CUT_SHARE * patch
            if (np.count_nonzero(warped[at_rim] < INK_THRESHOLD) > cut
                    or np.count_nonzero(new_fine[here][at_rim] < INK_THRESHOLD) > cut):
                continue
        if cv2.mean(warped)[0] > paper:
            continue
        ink_new = _ink(new_fine[here])
        (dx, dy), resp = cv2.phaseCorrelate(_ink(warped), ink_new, win)
        if resp < 0.1 or abs(dx) > patch / 4 or abs(dy) > patch / 4:
            continue
        # the shift is the ink's: it is placed at the centre of the patch's (windowed) ink,
        # not of the patch, which matters where the shift varies across the sheet
        weighted = ink_new * win
        mom = cv2.moments(weighted)
        if mom["m00"] <= 0:
            continue
        pts_new.append((x + mom["m10"] / mom["m00"], y + mom["m01"] / mom["m00"]))
        shifts.append((dx, dy))
        tensors.append(_structure_tensor(ink_new, win, grain) if directions
                       else np.zeros((2, 2)))
    return (np.float32(pts_new).reshape(-1, 2), np.float32(shifts).reshape(-1, 2),
            np.float32(tensors).reshape(-1, 2, 2))


#: Patches centred on a sheet's edges (``over_edges``) leave out its outermost band this wide
#: (points): a scanner's own line along the top or the side of a scan (1-2 px at 100 DPI
#: on the Transatomic set's) does not move with the drawing.
EDGE_BAND_PT = 1.5
#: ... and leave out a patch where ink runs along the rim of what is left over more than this
#: share of the patch's side (a line along the edge, cut by it).
EDGE_CUT_SHARE = 0.2


#: A patch's tensor is cut by this many times what the grain is expected to put in it
#: (:func:`_structure_tensor`): the grain of one patch varies about that (JPEG blocks,
#: a patch's 100×100 pixels), and a direction only that variation fixes is not fixed.
GRAIN_MARGIN = 1.5
#: A patch's directions are measured on its ink smoothed by a Gaussian this wide (sigma,
#: fine pixels): grain is mostly a pixel wide, a line's edge is not, and the grain left
#: to take off is then a fraction of what it was.
GRAIN_SMOOTH_PX = 1.0


def _structure_tensor(ink: np.ndarray, win: np.ndarray,
                      grain: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The 2×2 structure tensor of a patch's ink (window-weighted sums of gradient
    products of the ink smoothed by :data:`GRAIN_SMOOTH_PX`) less :data:`GRAIN_MARGIN`
    times what the scan's ``grain`` (:func:`scan_grain`) puts in it, scaled to a largest
    eigenvalue of 1; all zeros for a patch of grain alone.

    Grain has gradients every way: on a patch whose one line lies in the window's fringe
    they outweigh the line, and the patch would seem to fix its shift both ways while its
    correlation measures noise along the line (on a harsh re-scan, the sheet's frame was
    measured 2-3 pt off along itself)."""
    gx, gy = _gradients(ink)
    gxw = gx * win
    a, b, c = float(np.vdot(gxw, gx)), float(np.vdot(gxw, gy)), float(np.vdot(gy * win, gy))
    cut = GRAIN_MARGIN * float(win.sum())
    vals, vecs = np.linalg.eigh(np.array([[a - grain[0] * cut, b], [b, c - grain[1] * cut]]))
    if vals[1] <= 0:
        return np.zeros((2, 2))
    return (vecs * np.maximum(vals, 0.0)) @ vecs.T / vals[1]


def _gradients(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel x and y gradients of ``ink`` smoothed by :data:`GRAIN_SMOOTH_PX`: what a
    patch's directions and the grain taken off them are both measured on."""
    ink = cv2.GaussianBlur(ink, (0, 0), GRAIN_SMOOTH_PX)
    return cv2.Sobel(ink, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(ink, cv2.CV_32F, 0, 1, ksize=3)


def scan_grain(img: np.ndarray) -> tuple[float, float]:
    """The mean squared gradient (x, y; :func:`_gradients` of the ink, per pixel) a
    raster's grain makes on its bare paper: what noise, JPEG blocks and paper texture add
    to a patch's tensor whatever the patch holds. 0 for a rendered vector sheet.

    Measured on every fourth band of 64 rows, on paper away from lines: the pixels whose
    9×9 neighbourhood holds no more ink than most (the sheet's median and 3 robust standard
    deviations of it; a lower cut keeps the quieter grain only, and measured it 15 % low)."""
    bands = [img[y:y + 64] for y in range(0, img.shape[0], 256)]
    ink = _ink(np.vstack([b for b in bands if b.shape[0] == 64] or [img]))
    near = cv2.blur(ink, (9, 9))
    median = float(np.median(near))
    paper = near <= median + 3 * 1.4826 * float(np.median(np.abs(near - median)))
    gx, gy = _gradients(ink)
    return float(np.mean(gx[paper] ** 2)), float(np.mean(gy[paper] ** 2))


def refine(old_fine: np.ndarray, new_fine: np.ndarray, m_px: np.ndarray, fine_dpi: float,
           max_patches: int | None = None, shift_only: bool = False
           ) -> tuple[np.ndarray, float, int, int]:
    """Refine a 2×3 transform (old fine pixels → new fine pixels) by the shifts of ink
    patches (:func:`patch_shifts`); returns (matrix, residual px, inliers, patches).

    ``shift_only``: the correction is a plain shift, the median of the agreeing patches'
    shifts. Two vector sheets that differ by a shift differ by nothing else, and an affine
    fit to patch shifts measured to a tenth of a point (PDFium snaps glyphs to whole pixels;
    an edit moves a patch's ink) takes their noise for scale and shear: 6e-4 on a re-plot
    moved 17 pt, 0.7 pt at the far edge of an A3 sheet and 8 false changes."""
    pts_new, shifts, _ = patch_shifts(old_fine, new_fine, m_px, fine_dpi, max_patches,
                                      directions=False)
    if len(pts_new) < 6:
        return m_px, float("inf"), 0, len(pts_new)
    pts_new = np.float32(pts_new)
    # a patch of the warped old image centred at c appears at c + d in the new image
    src = pts_new  # points in warped-old coordinates
    dst = pts_new + np.float32(shifts)
    tol = INLIER_TOL_PT / 72 * fine_dpi
    corr, inl = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=tol,
                                     maxIters=5000, confidence=0.999)
    if corr is None:
        return m_px, float("inf"), 0, len(pts_new)
    inl = inl.ravel().astype(bool)
    pred = (np.hstack([src, np.ones((len(src), 1), np.float32)]) @ corr.T)
    resid = float(np.sqrt(np.mean(np.sum((pred[inl] - dst[inl]) ** 2, axis=1))))
    if shift_only:
        moved = np.median(dst[inl] - src[inl], axis=0)
        corr = np.array([[1.0, 0, moved[0]], [0, 1.0, moved[1]]])
        resid = float(np.sqrt(np.mean(np.sum((src[inl] + moved - dst[inl]) ** 2, axis=1))))
    m = (homogeneous(corr) @ homogeneous(m_px))[:2]
    return m, resid, int(inl.sum()), len(pts_new)


#: A whole-sheet shift (the re-plot fast path) is kept only if its refinement reaches this
#: confidence; otherwise the feature search runs as for any pair.
SHIFT_MIN_CONFIDENCE = 0.8
#: The shift is checked and refined on at most this many patches, spread over the sheet
#: (a shift needs few; a pair that is not one then pays little before the feature search).
SHIFT_CHECK_PATCHES = 60
#: ... and only if the refinement moved no corner of the sheet more than this (points) away
#: from the shift.
SHIFT_MAX_FIX_PT = 1.0


def shift_align(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, float]:
    """Translation (2×3, old pixels → new pixels) of two rasters at the same scale by phase
    correlation of the whole sheets, and the correlation peak's response (0..1). This is how
    most pairs of a set differ (a re-plot, a re-export), and it takes milliseconds.

    Phase correlation weighs every match alike, so a sheet that repeats a block (unit plans,
    a grid of details) correlates as well one period off as in place, and the patches then
    agree with the wrong shift too: a silently wrong overlay. The shift is therefore checked
    against the one that lays the most ink on ink (:func:`_overlap_shift`, coarse), which in
    place covers every block and one period off only some; where the two disagree, the
    phase correlation's peak near the coarse shift is taken."""
    h, w = max(old.shape[0], new.shape[0]), max(old.shape[1], new.shape[1])

    def ink(img):
        out = np.zeros((h, w), np.float32)
        out[:img.shape[0], :img.shape[1]] = _ink(img)
        return out

    a, b = ink(old), ink(new)
    (dx, dy), response = cv2.phaseCorrelate(a, b)
    coarse = _overlap_shift(a, b)
    if coarse is not None and math.hypot(dx - coarse[0], dy - coarse[1]) > coarse[2]:
        dx, dy, response = _phase_peak_near(a, b, coarse)
    return np.array([[1.0, 0, dx], [0, 1.0, dy]]), float(response)


def _phase_peak_near(a: np.ndarray, b: np.ndarray, near: tuple[float, float, float]
                     ) -> tuple[float, float, float]:
    """The phase correlation of ``a`` and ``b`` (as :func:`cv2.phaseCorrelate`: the shift
    of ``b`` from ``a``, pixels) at its highest peak within ``near[2]`` pixels of
    (``near[0]``, ``near[1]``), to a fraction of a pixel (the centroid of the 3×3 around
    it), and the peak's height."""
    fa, fb = np.fft.rfft2(a), np.fft.rfft2(b)
    cross = np.conj(fa) * fb
    surface = np.fft.irfft2(cross / (np.abs(cross) + 1e-9), a.shape)
    h, w = a.shape
    reach = int(math.ceil(near[2]))
    cy, cx = int(round(near[1])), int(round(near[0]))
    ys = np.arange(cy - reach, cy + reach + 1)
    xs = np.arange(cx - reach, cx + reach + 1)
    window = surface[np.ix_(ys % h, xs % w)]
    r, c = np.unravel_index(int(np.argmax(window)), window.shape)
    py, px = int(ys[r]), int(xs[c])
    around = surface[np.ix_(np.arange(py - 1, py + 2) % h, np.arange(px - 1, px + 2) % w)]
    weights = np.clip(around, 0, None)
    total = float(weights.sum()) or 1.0
    offs = np.array([-1.0, 0.0, 1.0])
    return (px + float((weights.sum(axis=0) * offs).sum()) / total,
            py + float((weights.sum(axis=1) * offs).sum()) / total, float(window.max()))


#: Long side (pixels) of the sheets :func:`_overlap_shift` correlates: 256 px put a 48 in
#: sheet's pixel at 13.5 pt, finer than any block a sheet repeats.
OVERLAP_PX = 256


def _overlap_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float] | None:
    """The shift (pixels of ``a`` and ``b``, ink rasters of one size) that lays the most of
    ``a``'s ink on ``b``'s: the peak of their plain cross-correlation, zero-padded (a
    circular one would wrap a block onto the next), on copies at most :data:`OVERLAP_PX`
    long; with the shift, how far off it may be (two of those pixels). None for blank
    sheets."""
    f = min(1.0, OVERLAP_PX / max(a.shape))
    sa = cv2.resize(a, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    sb = cv2.resize(b, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    if not sa.any() or not sb.any():
        return None
    ph, pw = 2 * sa.shape[0], 2 * sa.shape[1]
    fa = np.fft.rfft2(sa, (ph, pw))
    fb = np.fft.rfft2(sb, (ph, pw))
    corr = np.fft.irfft2(np.conj(fa) * fb, (ph, pw))  # corr[s] = sum a(x) b(x + s)
    r, c = np.unravel_index(int(np.argmax(corr)), corr.shape)
    sy = r - ph if r >= ph // 2 else r
    sx = c - pw if c >= pw // 2 else c
    fx, fy = a.shape[1] / sa.shape[1], a.shape[0] / sa.shape[0]
    return sx * fx, sy * fy, 2.0 * max(fx, fy)


def _overlap_corrected(m_px: np.ndarray, old: np.ndarray, new: np.ndarray
                       ) -> np.ndarray | None:
    """``m_px`` (2×3, ``old`` pixels → ``new`` pixels, from features) moved to where the
    old sheet it warps lays the most ink on the new one (:func:`_overlap_shift`), or None
    when it already does.

    On a sheet that repeats a block, features of one block match every copy of it, and
    RANSAC may settle on a transform that pairs each block with its neighbour: the patches
    agree with it too (the same check :func:`shift_align` makes). Rotation and scale are
    the same for every block, so only the translation is in question."""
    h, w = old.shape
    ends = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], float) @ np.asarray(m_px).T
    # one canvas holds the new sheet and all of the warped old one (a transform a block off
    # carries a row of blocks off the new sheet: cut there, it would lay no ink anywhere)
    x0, y0 = min(0, int(np.floor(ends[:, 0].min()))), min(0, int(np.floor(ends[:, 1].min())))
    x1 = max(new.shape[1], int(np.ceil(ends[:, 0].max())))
    y1 = max(new.shape[0], int(np.ceil(ends[:, 1].max())))
    to_canvas = np.array(m_px, float)
    to_canvas[:, 2] -= (x0, y0)
    a = cv2.warpAffine(_ink(old), to_canvas, (x1 - x0, y1 - y0), flags=cv2.INTER_AREA,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    b = np.zeros_like(a)
    b[-y0:-y0 + new.shape[0], -x0:-x0 + new.shape[1]] = _ink(new)
    off = _overlap_shift(a, b)
    if off is None or math.hypot(off[0], off[1]) <= off[2]:
        return None
    moved = np.array(m_px, float)
    moved[:, 2] += off[:2]
    return moved


def align_rasters(old: np.ndarray, old_dpi: float, new: np.ndarray, new_dpi: float,
                  *, flexible: bool = False, initial: np.ndarray | None = None) -> Alignment:
    """Align two page rasters (uint8 grayscale; DPIs give their scale to points).

    Works on reduced copies for the coarse step and on :data:`FINE_DPI` copies for the
    refinement, so cost is bounded whatever resolution the rasters have. Sheets of one size
    first try a whole-sheet shift (:func:`shift_align`); the feature search (rotation,
    scale, 90/180° turns) runs when the refinement does not confirm it. ``flexible``: the
    paper may have stretched (a scan is involved), so the affine matrix is completed by a
    :class:`.stretch.StretchField` where that brings the sheets closer
    (:func:`_with_stretch`).

    ``initial`` (2×3, old-sheet points → new-sheet points): a user's alignment, from points
    picked on two previews (a few points off at best). It replaces the shift and feature
    steps and is refined like them (method ``user+phase``); when the refinement does not
    confirm it, it is used as given (method ``user``): the user asked for it."""
    ident = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    cs_o = min(1.0, COARSE_PX / max(old.shape))
    cs_n = min(1.0, COARSE_PX / max(new.shape))
    small_o = cv2.resize(old, None, fx=cs_o, fy=cs_o, interpolation=cv2.INTER_AREA)
    small_n = cv2.resize(new, None, fx=cs_n, fy=cs_n, interpolation=cv2.INTER_AREA)
    fs_o = min(1.0, FINE_DPI / old_dpi)
    fs_n = min(1.0, FINE_DPI / new_dpi)
    fine_o = old if fs_o == 1 else cv2.resize(old, None, fx=fs_o, fy=fs_o,
                                              interpolation=cv2.INTER_AREA)
    fine_n = new if fs_n == 1 else cv2.resize(new, None, fx=fs_n, fy=fs_n,
                                              interpolation=cv2.INTER_AREA)
    fo_dpi, fn_dpi = old_dpi * fs_o, new_dpi * fs_n

    def refined(m_pt: np.ndarray, max_patches: int | None = None, shift_only: bool = False
                ) -> tuple[np.ndarray, float, int, int]:
        m_fine, resid_px, inl, total = refine(fine_o, fine_n,
                                              points_to_pixels(m_pt, fo_dpi, fn_dpi), fn_dpi,
                                              max_patches, shift_only)
        return pixels_to_points(m_fine, fo_dpi, fn_dpi), resid_px * 72 / fn_dpi, inl, total

    if initial is not None:
        m_user = np.asarray(initial, float)
        m_final, resid_pt, inl, total = refined(m_user)
        found = (_accepted(m_final, resid_pt, inl, total, "user+phase", "from the user's "
                           "points") if total and inl >= 6 else None)
        if found is not None and found.ok:
            return _with_stretch(found, fine_o, fo_dpi, fine_n, fn_dpi) if flexible else found
        return Alignment(m_user, 1.0, "user", True, None,
                         ["the user's points as given: the refinement did not confirm them "
                          f"({inl}/{total} patches agree)"])
    if abs(old_dpi * cs_o - new_dpi * cs_n) <= 1e-3 * new_dpi * cs_n:
        m_small, response = shift_align(small_o, small_n)
        m_shift = pixels_to_points(m_small, old_dpi * cs_o, new_dpi * cs_n)
        # two vector sheets (not ``flexible``) that differ by a shift are kept to one
        m_final, resid_pt, inl, total = refined(m_shift, SHIFT_CHECK_PATCHES,
                                                shift_only=not flexible)
        if total:
            fast = _accepted(m_final, resid_pt, inl, total, "shift+phase",
                             f"whole-sheet shift, peak {response:.2f}")
            # kept only when the sheets really differ by a shift: a turned or re-scaled
            # sheet is better served by the feature search (the refinement of a plain
            # shift leaves a bias of a few tenths of a point there)
            h_pt, w_pt = old.shape[0] * 72 / old_dpi, old.shape[1] * 72 / old_dpi
            corners = np.array([[0, 0, 1], [w_pt, 0, 1], [0, h_pt, 1], [w_pt, h_pt, 1]])
            moved = np.abs(corners @ m_final.T - corners @ m_shift.T).max()
            if fast.ok and fast.confidence >= SHIFT_MIN_CONFIDENCE and moved <= SHIFT_MAX_FIX_PT:
                return _with_stretch(fast, fine_o, fo_dpi, fine_n, fn_dpi) if flexible else fast

    coarse = coarse_align(small_o, small_n)
    if coarse is None:
        return Alignment(ident, 0.0, "none", False, notes=["too few matching features"])
    m_small, n_inliers = coarse
    m_pt = pixels_to_points(m_small, old_dpi * cs_o, new_dpi * cs_n)
    m_final, resid_pt, inl, total = refined(m_pt)
    coarse_note = f"{n_inliers} coarse feature inliers"
    in_place = _overlap_corrected(m_small, small_o, small_n)
    if in_place is not None:  # a sheet that repeats a block: the features may pair blocks
        m_alt = pixels_to_points(in_place, old_dpi * cs_o, new_dpi * cs_n)
        alt = refined(refined(m_alt)[0])  # twice: the overlap's shift is coarse
        if alt[2] >= inl:
            m_final, resid_pt, inl, total = alt
            coarse_note += ", moved to where the ink overlaps most (a repeated block)"
    if inl < 6 or total == 0:
        return Alignment(m_pt, 0.2, "orb-coarse", False, None,
                         [f"refinement found {inl} agreeing patches of {total}"])
    found = _accepted(m_final, resid_pt, inl, total, "orb+phase", coarse_note)
    return _with_stretch(found, fine_o, fo_dpi, fine_n, fn_dpi) if flexible else found


#: Side (points) of the patches the paper's stretch is measured on: half the refinement's,
#: so four times as many, as many as a smooth field needs (at 100 DPI a patch is 100 px: its
#: correlation costs a quarter of a larger one's, and the measurement takes about as long).
STRETCH_PATCH_PT = 72.0
#: ... and on patches with at least this much ink (share of full ink, on average): a lone
#: line across an empty part of a sheet (a site boundary) counts, along it as it should
#: (its tensor says so); at the refinement's 1 % it was left out, and the field there was
#: guessed from inches away.
STRETCH_MIN_INK = 0.0025
#: A patch fixes its shift both ways when its tensor's smaller eigenvalue is at least this
#: (the larger is 1): it holds lines of more than one direction.
STRETCH_BOTH_WAYS = 0.2
#: The field is used only when, on patches it was not fitted on, it leaves at most this
#: share of the misfit (:func:`_truncated_loss`) the refitted matrix alone leaves.
STRETCH_MIN_GAIN = 0.7
#: Patch shifts further than this (points) from the refitted affine matrix are left out of
#: that fit (they may still be paper stretch, which the field then takes up).
STRETCH_AFFINE_TOL_PT = STRETCH_MAX_PT


def _with_stretch(a: Alignment, fine_o: np.ndarray, fo_dpi: float, fine_n: np.ndarray,
                  fn_dpi: float) -> Alignment:
    """``a`` completed by the paper's stretch, when that aligns the sheets better.

    Every ink patch's remaining shift is measured (:func:`patch_shifts`, all patches, edge
    to edge); the affine matrix is refitted to all of them (the refinement's fit leans on
    the patches that happen to agree within :data:`INLIER_TOL_PT`, which on a stretched
    sheet is one part of it), and a smooth field is fitted through what is left
    (:func:`.stretch.paper_stretch`). The shifts are then measured again with that field
    applied (a patch several points off is measured better once it is close; on 1.5 pt
    stretches this removed the last false changes) and the field fitted again.

    Used only when a field fitted on half the patches predicts the other half clearly
    better than the refitted matrix alone (:func:`.stretch.held_out_misfits`: by
    :data:`STRETCH_MIN_GAIN`; a field through noise fits only its own patches), when it
    is paper stretch (:func:`.stretch.paper_stretch`), and when the result is accepted by
    the same rule as any alignment (on the shifts left after the field)."""
    k = 72.0 / fn_dpi
    size_pt = (fine_n.shape[1] * k, fine_n.shape[0] * k)
    grain = scan_grain(fine_n)
    centres, shifts, tensors = _stretch_patch_shifts(
        fine_o, fine_n, points_to_pixels(a.matrix, fo_dpi, fn_dpi), fn_dpi, grain)
    # the affine part is refitted on patches that fix their shift both ways
    both = np.linalg.eigvalsh(tensors)[:, 0] >= STRETCH_BOTH_WAYS
    if both.sum() < 6:
        return a
    src = (centres * k).astype(np.float32)  # new-sheet points, where the aligned old patch is
    dst = ((centres + shifts) * k).astype(np.float32)  # ... and where it is on the new sheet
    corr, _ = cv2.estimateAffine2D(src[both], dst[both], method=cv2.RANSAC,
                                   ransacReprojThreshold=STRETCH_AFFINE_TOL_PT,
                                   maxIters=5000, confidence=0.999)
    if corr is None:
        return a
    corr = _robust_affine(src[both], dst[both], corr)
    m = (homogeneous(corr) @ homogeneous(a.matrix))[:2]
    pos = dst.astype(float)
    total = pos - np.hstack([src, np.ones((len(src), 1))]) @ corr.T  # left after the matrix
    # a real stretch predicts patches it was not fitted on: noise does not
    affine_only = _truncated_loss(directed_norm(total, tensors))
    held_out = _truncated_loss(held_out_misfits(pos, total, tensors, size_pt))
    if held_out > STRETCH_MIN_GAIN * affine_only:
        return a
    stretch = paper_stretch(pos, total, tensors, size_pt)
    if stretch is None:
        return a
    pos, total, tensors = _remeasured(stretch, m, fine_o, fo_dpi, fine_n, fn_dpi, grain)
    stretch = paper_stretch(pos, total, tensors, size_pt) if len(pos) >= 6 else None
    if stretch is None:
        return a
    off = stretch_misfits(stretch, pos, total, tensors)
    inl = off <= INLIER_TOL_PT
    if inl.sum() < 6:
        return a
    resid = float(np.sqrt(np.mean(off[inl] ** 2)))
    done = _accepted(m, resid, int(inl.sum()), len(off), a.method + "+stretch",
                     f"paper stretch up to {stretch.max_pt:.2f} pt; " + "; ".join(a.notes))
    if not done.ok:
        return a
    done.stretch = stretch
    return done


#: Scale (points) of :func:`_robust_affine`'s weights: a patch this far off the matrix
#: counts half, one 5 pt off (an edit) a twelfth.
ROBUST_SCALE_PT = INLIER_TOL_PT


def _robust_affine(src: np.ndarray, dst: np.ndarray, corr: np.ndarray,
                   rounds: int = 6) -> np.ndarray:
    """The 2×3 affine matrix (points to points) from ``src`` to ``dst`` (n×2 each) by
    least squares with Cauchy weights (1 / (1 + (r / :data:`ROBUST_SCALE_PT`)²) for a
    residual r), from ``corr`` (RANSAC's). RANSAC's consensus at
    :data:`STRETCH_AFFINE_TOL_PT` keeps the patches of an edit a few points off, and a plain
    fit through them moved a clean re-scan's matrix 0.5 pt (a field was then fitted to make
    up for it); a paper stretch, smooth and everywhere, still weighs in."""
    x = np.hstack([src, np.ones((len(src), 1))]).astype(float)
    y = dst.astype(float)
    for _ in range(rounds):
        w = 1.0 / (1.0 + (np.hypot(*(x @ corr.T - y).T) / ROBUST_SCALE_PT) ** 2)
        sol, *_ = np.linalg.lstsq(x * w[:, None], y * w[:, None], rcond=None)
        corr = sol.T
    return corr


def _stretch_patch_shifts(fine_o: np.ndarray, fine_n: np.ndarray, m_px, fn_dpi: float,
                          grain: tuple[float, float]
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`patch_shifts` as the stretch is measured (patches of :data:`STRETCH_PATCH_PT`,
    edge to edge, at least :data:`STRETCH_MIN_INK`, ``grain`` taken off), less the patches
    of grain alone: they fix nothing, and would only count as agreeing with any field.
    Tensors as float."""
    found = [patch_shifts(fine_o, fine_n, m_px, fn_dpi, patch_pt=STRETCH_PATCH_PT,
                          edge_to_edge=not edges, over_edges=edges, min_ink=STRETCH_MIN_INK,
                          grain=grain) for edges in (False, True)]
    centres, shifts, tensors = (np.concatenate(parts) for parts in zip(*found))
    says = np.trace(tensors, axis1=1, axis2=2) > 0
    return centres[says], shifts[says], tensors[says].astype(float)


def _truncated_loss(off_pt: np.ndarray) -> float:
    """Mean of squared misfits (points), each counted up to :data:`INLIER_TOL_PT`: how well
    a model fits the patch shifts, an edit or a poor patch weighing no more than a miss."""
    return float(np.mean(np.minimum(off_pt, INLIER_TOL_PT) ** 2)) if len(off_pt) else 0.0


def _remeasured(stretch: StretchField, m: np.ndarray, fine_o: np.ndarray, fo_dpi: float,
                fine_n: np.ndarray, fn_dpi: float, grain: tuple[float, float]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The patch shifts measured again with ``stretch`` applied (each patch warped by
    :meth:`.StretchField.local_matrices` of ``m``), as (where, the whole shift beyond
    ``m``, tensors): new-sheet points, points, n×2×2."""
    k = 72.0 / fn_dpi

    def local(corners, side):  # each patch's matrix (fine pixels)
        boxes = np.concatenate([corners, corners + side], axis=1) * k
        return points_to_pixels(stretch.local_matrices(m, boxes), fo_dpi, fn_dpi)

    centres, shifts, tensors = _stretch_patch_shifts(fine_o, fine_n, local, fn_dpi, grain)
    pos = ((centres + shifts) * k).astype(float)
    return pos, shifts * k + stretch.shifts_at(pos), tensors


def _accepted(m_pt: np.ndarray, resid_pt: float, inl: int, total: int, method: str,
              coarse_note: str) -> Alignment:
    """The refined alignment, ``ok`` when enough patches agree within the tolerance."""
    share = inl / total
    conf = max(0.0, min(0.99, share * (1.0 - min(1.0, resid_pt / (2 * INLIER_TOL_PT)))))
    ok = share >= 0.3 and resid_pt <= INLIER_TOL_PT
    notes = [f"{inl}/{total} patches agree, residual {resid_pt:.2f} pt, {coarse_note}"]
    return Alignment(m_pt, conf, method, ok, resid_pt, notes)
