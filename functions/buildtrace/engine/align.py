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

from dataclasses import dataclass, field

import cv2
import numpy as np

from .geometry import homogeneous, pixels_to_points, points_to_pixels

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
    ``ok`` False means "could not align": the matrix must not be used for an overlay."""

    matrix: np.ndarray
    confidence: float
    method: str
    ok: bool
    residual_pt: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"matrix": [[round(float(v), 6) for v in row] for row in self.matrix],
                "confidence": round(self.confidence, 3), "method": self.method, "ok": self.ok,
                "residual_pt": None if self.residual_pt is None else round(self.residual_pt, 3),
                "notes": self.notes}


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


def refine(old_fine: np.ndarray, new_fine: np.ndarray, m_px: np.ndarray, fine_dpi: float,
           max_patches: int | None = None) -> tuple[np.ndarray, float, int, int]:
    """Refine a 2×3 transform (old fine pixels → new fine pixels) by phase correlation of
    ink patches spread over the new sheet (at most ``max_patches``, evenly picked among
    those with ink); returns (matrix, residual px, inliers, patches).

    Only the patches are warped, each from the old sheet by ``m_px`` shifted to the
    patch: a fraction of warping the whole sheet."""
    h, w = new_fine.shape
    patch = int(PATCH_PT / 72 * fine_dpi)
    win = cv2.createHanningWindow((patch, patch), cv2.CV_32F)
    paper = 255 * (1 - 0.01)  # a patch with less than 1 % ink (mean gray above) is skipped
    inked = [(x, y) for y in range(patch // 2, h - patch, patch)
             for x in range(patch // 2, w - patch, patch)
             if cv2.mean(new_fine[y:y + patch, x:x + patch])[0] <= paper]
    if max_patches is not None and len(inked) > max_patches:
        inked = [inked[int(i)] for i in np.linspace(0, len(inked) - 1, max_patches).round()]
    pts_new, shifts = [], []
    for x, y in inked:
        to_patch = m_px.copy()
        to_patch[:, 2] -= (x, y)  # old pixels -> pixels of the patch at (x, y)
        warped = cv2.warpAffine(old_fine, to_patch, (patch, patch), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=255)
        if cv2.mean(warped)[0] > paper:
            continue
        (dx, dy), resp = cv2.phaseCorrelate(_ink(warped),
                                            _ink(new_fine[y:y + patch, x:x + patch]), win)
        if resp < 0.1 or abs(dx) > patch / 4 or abs(dy) > patch / 4:
            continue
        pts_new.append((x + patch / 2, y + patch / 2))
        shifts.append((dx, dy))
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
    most pairs of a set differ (a re-plot, a re-export), and it takes milliseconds."""
    h, w = max(old.shape[0], new.shape[0]), max(old.shape[1], new.shape[1])

    def ink(img):
        out = np.zeros((h, w), np.float32)
        out[:img.shape[0], :img.shape[1]] = _ink(img)
        return out

    (dx, dy), response = cv2.phaseCorrelate(ink(old), ink(new))
    return np.array([[1.0, 0, dx], [0, 1.0, dy]]), float(response)


def align_rasters(old: np.ndarray, old_dpi: float, new: np.ndarray, new_dpi: float
                  ) -> Alignment:
    """Align two page rasters (uint8 grayscale; DPIs give their scale to points).

    Works on reduced copies for the coarse step and on :data:`FINE_DPI` copies for the
    refinement, so cost is bounded whatever resolution the rasters have. Sheets of one size
    first try a whole-sheet shift (:func:`shift_align`); the feature search (rotation,
    scale, 90/180° turns) runs when the refinement does not confirm it."""
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

    def refined(m_pt: np.ndarray, max_patches: int | None = None
                ) -> tuple[np.ndarray, float, int, int]:
        m_fine, resid_px, inl, total = refine(fine_o, fine_n,
                                              points_to_pixels(m_pt, fo_dpi, fn_dpi), fn_dpi,
                                              max_patches)
        return pixels_to_points(m_fine, fo_dpi, fn_dpi), resid_px * 72 / fn_dpi, inl, total

    if abs(old_dpi * cs_o - new_dpi * cs_n) <= 1e-3 * new_dpi * cs_n:
        m_small, response = shift_align(small_o, small_n)
        m_shift = pixels_to_points(m_small, old_dpi * cs_o, new_dpi * cs_n)
        m_final, resid_pt, inl, total = refined(m_shift, SHIFT_CHECK_PATCHES)
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
                return fast

    coarse = coarse_align(small_o, small_n)
    if coarse is None:
        return Alignment(ident, 0.0, "none", False, notes=["too few matching features"])
    m_small, n_inliers = coarse
    m_pt = pixels_to_points(m_small, old_dpi * cs_o, new_dpi * cs_n)
    m_final, resid_pt, inl, total = refined(m_pt)
    if inl < 6 or total == 0:
        return Alignment(m_pt, 0.2, "orb-coarse", False, None,
                         [f"refinement found {inl} agreeing patches of {total}"])
    return _accepted(m_final, resid_pt, inl, total, "orb+phase",
                     f"{n_inliers} coarse feature inliers")


def _accepted(m_pt: np.ndarray, resid_pt: float, inl: int, total: int, method: str,
              coarse_note: str) -> Alignment:
    """The refined alignment, ``ok`` when enough patches agree within the tolerance."""
    share = inl / total
    conf = max(0.0, min(0.99, share * (1.0 - min(1.0, resid_pt / (2 * INLIER_TOL_PT)))))
    ok = share >= 0.3 and resid_pt <= INLIER_TOL_PT
    notes = [f"{inl}/{total} patches agree, residual {resid_pt:.2f} pt, {coarse_note}"]
    return Alignment(m_pt, conf, method, ok, resid_pt, notes)
