"""Paper stretch: the smooth, non-affine part of how a re-scanned sheet lies on the old one.

A scanner's rollers, a sheet's humidity and a worn original stretch paper unevenly: after
the best affine alignment, parts of a re-scanned 34×22 in sheet can still sit 1–3 pt off,
more than the overlay's tolerance, and every line there would be drawn red and green. The
alignment measures how far each patch of the sheet still sits off after the affine matrix
(:func:`.align.patch_shifts`), and :func:`fit_stretch` fits a smooth field through those
shifts; the overlay then warps the old sheet piece by piece, each piece by the matrix
corrected by the field there (:meth:`StretchField.local_matrix`).

Frame: new-sheet PDF points, origin top-left, y down. An old-sheet point q lies at
``M q + d(p)`` on the new sheet, where ``M`` is the alignment's matrix and ``d(p)`` the
field (points) near that place ``p``. The field is smooth over inches, so a design edit
(a wall moved 6 in, a door added) is never absorbed into it: it is fitted through patches
1 in wide, smoothed over a few inches (:data:`SPREAD_PT`), and patches that disagree with
their neighbours by more than :data:`OUTLIER_PT` are left out. It is used only where it
predicts patches it was not fitted on (:func:`held_out_misfits`), so a clean re-scan,
whose patches differ by noise alone, gets none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Spacing (points) of the nodes the field is kept at; between them it is bilinear.
STEP_PT = 72.0
#: Width (points, the Gaussian's sigma) over which patch shifts are averaged into the field.
SPREAD_PT = 144.0
#: A patch whose shift is this far (points) from the field fitted through its neighbours
#: is not paper stretch (an edit, a poor correlation) and is left out of the field.
OUTLIER_PT = 0.75
#: The field is kept within this (points): paper stretches by a few points at most; more
#: would be a misalignment the field must not paper over.
MAX_PT = 6.0
#: Paper stretches smoothly: from one node to the next (:data:`STEP_PT`) a field changes by
#: at most this (points) or it is no stretch. Harsh re-scans with a 1.5 pt stretch beyond
#: the affine transform measured up to 1.17 pt (the site plan's blank margins); a view
#: moved 6-9 pt as a whole, which the field bent to follow (6-9 pt off across half the
#: sheet), 1.53-2.32 pt.
MAX_STEP_PT = 1.4
#: The field is kept within this (points) of the range of the patches' shifts, each way.
BEYOND_PT = 0.25
#: A field whose largest value is below this (points) is not used: the affine matrix alone
#: is as good (and the overlay can warp each strip in one piece).
MIN_PT = 0.15
#: How firmly the field's local planes are held flat (:func:`_local_planes`): a
#: pseudo-weight, in patches, against a slope. At 1 patch the field flattened the
#: stretch along a sheet's edges and across blank margins, 1-1.7 pt off on harsh re-scans
#: of sparse sheets; at 0.1 it followed noise further out (vector sheets against scans).
SLOPE_PRIOR = 0.3
#: Degree of the polynomial over the whole sheet (:func:`_sheet_surface`) the field's local
#: planes rest on: where no patch nearby fixes a direction, the field is that surface
#: there, carried over from where patches do fix it, not 0. A harsh re-scan's stretch
#: varying down a band that holds only lines along it (M111's top border and grid ticks)
#: was otherwise taken as none there: 2.8 pt off.
#:
#: Measured on the patches of 15 harsh re-scans (the bench's, seeds of stops 36-37), the
#: field's error over the sheet (largest; mean of each sheet's largest): without the
#: surface 2.33 pt, 0.83 pt; degree 3, 1.29 pt, 0.58 pt; degree 4, 1.43-1.56 pt. The
#: largest are at blank edges of the sparse site plan.
SURFACE_DEGREE = 3
#: How firmly the surface's non-constant terms are held at 0 (pseudo-weight, in
#: patches). At 0.3, 1.19 pt and 0.53 pt on those 15 patch sets, but the whole alignment
#: drew the ink of 16 harsh re-scans up to 0.88 pt off (0.66 pt at 1); at 3, 1.5 pt.
SURFACE_PRIOR = 1.0
#: The surface's fit is robust: a patch this far (points) off it counts half.
SURFACE_SCALE_PT = OUTLIER_PT
#: How firmly each node's level is held at the surface's where few patches nearby fix it
#: (pseudo-weight, in patches; on those 15 at 0.01: 1.34 pt against 1.29 pt at 0.1, both
#: at :data:`SURFACE_PRIOR` 1). Without a surface, a hundredth of a patch holds it at 0.
LEVEL_PRIOR = 0.1
#: Pieces (points, square) the old sheet is warped in when a field is used: each piece by
#: the affine matrix that matches matrix plus field there. 72 pt pieces keep the error of
#: that linearisation under 0.02 pt for a 1.5 pt stretch with a 24 in period.
PIECE_PT = 72.0


@dataclass
class StretchField:
    """``dx``, ``dy`` (points; rows × cols): the field at new-sheet points
    (col · ``step_pt``, row · ``step_pt``); see the module's docstring for its meaning."""

    step_pt: float
    dx: np.ndarray
    dy: np.ndarray

    @property
    def max_pt(self) -> float:
        return float(np.hypot(self.dx, self.dy).max())

    @property
    def max_step_pt(self) -> float:
        """The largest change (points) of either component from a node to the next."""
        steps = [np.abs(np.diff(g, axis=k)).max() for g in (self.dx, self.dy) for k in (0, 1)
                 if g.shape[k] > 1]
        return float(max(steps, default=0.0))

    def is_paper(self) -> bool:
        """Whether the field is smooth enough to be paper stretch (:data:`MAX_STEP_PT`)."""
        return self.max_step_pt <= MAX_STEP_PT

    def at(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """The field (dx, dy; points) at new-sheet points ``x``, ``y`` (arrays of one
        shape), bilinear between nodes and constant beyond the outer ones."""
        x = np.asarray(x, float) / self.step_pt
        y = np.asarray(y, float) / self.step_pt
        rows, cols = self.dx.shape
        x = np.clip(x, 0, cols - 1)
        y = np.clip(y, 0, rows - 1)
        c0 = np.minimum(np.floor(x).astype(int), max(cols - 2, 0))
        r0 = np.minimum(np.floor(y).astype(int), max(rows - 2, 0))
        c1, r1 = np.minimum(c0 + 1, cols - 1), np.minimum(r0 + 1, rows - 1)
        fx, fy = x - c0, y - r0

        def interp(g):
            top = g[r0, c0] * (1 - fx) + g[r0, c1] * fx
            bottom = g[r1, c0] * (1 - fx) + g[r1, c1] * fx
            return top * (1 - fy) + bottom * fy
        return interp(self.dx), interp(self.dy)

    def shifts_at(self, points_pt: np.ndarray) -> np.ndarray:
        """The field at new-sheet points (n×2) as n×2 (dx, dy; points)."""
        points_pt = np.asarray(points_pt, float).reshape(-1, 2)
        return np.stack(self.at(points_pt[:, 0], points_pt[:, 1]), axis=1)

    def local_matrix(self, matrix: np.ndarray, box) -> np.ndarray:
        """The 2×3 matrix (old-sheet points → new-sheet points) that matches ``matrix`` plus
        the field over ``box`` (new-sheet points): exact at its centre, with the field's
        slope across it."""
        return self.local_matrices(matrix, np.asarray([box], float))[0]

    def local_matrices(self, matrix: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """:meth:`local_matrix` of each of ``boxes`` (n×4: x0, y0, x1, y1): n×2×3."""
        boxes = np.asarray(boxes, float).reshape(-1, 4)
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        hx = np.maximum((boxes[:, 2] - boxes[:, 0]) / 2, 1.0)
        hy = np.maximum((boxes[:, 3] - boxes[:, 1]) / 2, 1.0)
        dx, dy = self.at(np.stack([cx, cx - hx, cx + hx, cx, cx]),
                         np.stack([cy, cy, cy, cy - hy, cy + hy]))  # 5×n each
        d0 = np.stack([dx[0], dy[0]], axis=1)  # n×2
        jac = np.empty((len(boxes), 2, 2))
        jac[:, 0, 0], jac[:, 0, 1] = (dx[2] - dx[1]) / (2 * hx), (dx[4] - dx[3]) / (2 * hy)
        jac[:, 1, 0], jac[:, 1, 1] = (dy[2] - dy[1]) / (2 * hx), (dy[4] - dy[3]) / (2 * hy)
        # p = M q + d0 + J (p - c)  =>  p = (I - J)^-1 (M q + d0 - J c)
        inv = np.linalg.inv(np.eye(2)[None] - jac)
        m = np.asarray(matrix, float)
        c = np.stack([cx, cy], axis=1)
        lin = inv @ m[:, :2]
        off = np.einsum("nij,nj->ni", inv, m[:, 2][None] + d0 - np.einsum("nij,nj->ni", jac, c))
        return np.concatenate([lin, off[:, :, None]], axis=2)

    def to_dict(self) -> dict:
        return {"step_pt": self.step_pt, "max_pt": round(self.max_pt, 3),
                "dx": np.round(self.dx, 3).tolist(), "dy": np.round(self.dy, 3).tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> StretchField:
        """The inverse of :meth:`to_dict` (a report's ``alignment.stretch``)."""
        return cls(float(d["step_pt"]), np.asarray(d["dx"], float), np.asarray(d["dy"], float))


def fit_stretch(centres_pt: np.ndarray, shifts_pt: np.ndarray, tensors: np.ndarray,
                size_pt: tuple[float, float], surface: bool = True, _split: int = 0
                ) -> tuple[StretchField, np.ndarray]:
    """A smooth field through patch shifts, and which patches it kept.

    ``centres_pt`` (n×2): patch centres in new-sheet points; ``shifts_pt`` (n×2): how far
    (points) each patch of the aligned old sheet must move to lie on the new one;
    ``tensors`` (n×2×2): how far each shift holds in each direction (see
    :func:`.align.patch_shifts`: a patch that holds one straight line says nothing about
    the shift along it). At each node a plane is fitted to the shifts around it, weighted
    by a Gaussian of :data:`SPREAD_PT` and by the tensors (a local linear regression: it
    follows a stretch that varies across the sheet without flattening it, as a weighted
    mean would), and what the smoothing flattened is fitted from the residuals and added
    back (twicing: a crest of the stretch, 0.25 pt of a 1.5 pt wave 22 in long). With
    ``surface``, the planes are fitted about a polynomial over the whole sheet
    (:func:`_sheet_surface`) instead of 0; without it, the field is the one whose
    smoothness tells paper stretch from a view moved as a whole (:data:`MAX_STEP_PT` was
    measured on it: the surface, smooth everywhere, takes up part of a view's move).

    Patches more than :data:`OUTLIER_PT` off the field fitted through the *other* patches
    (:func:`_cross_misfits`) are left out, and the field is fitted again (three rounds at
    most). Measured against its own field, a lone patch in an empty part of the sheet
    vouches for itself (a wrong correlation 9 pt off was kept); measured against a field
    smoothed flatter than the stretch, the patches on its crest were left out (1-1.4 pt
    off along a sparse sheet's frame). Neighbours are measured without the surface: a
    polynomial's value where none of its patches are (a sheet's corner, its other half's
    patches left out) is a guess, and it took good corner patches for outliers."""
    keep = _kept(centres_pt, shifts_pt, tensors, size_pt, _split)
    return _twiced(centres_pt[keep], shifts_pt[keep], tensors[keep], size_pt, surface), keep


def paper_stretch(centres_pt: np.ndarray, shifts_pt: np.ndarray, tensors: np.ndarray,
                  size_pt: tuple[float, float]) -> StretchField | None:
    """:func:`fit_stretch`'s field (with the surface) when it is paper stretch, else None:
    the field through the same patches without the surface, on which those limits were
    measured, reaches :data:`MIN_PT` and is smooth enough (:meth:`StretchField.is_paper`;
    not paper: a part of the sheet moved as a whole, see moved_views.py). Both fields rest
    on one choice of patches."""
    keep = _kept(centres_pt, shifts_pt, tensors, size_pt, 0)
    kept = centres_pt[keep], shifts_pt[keep], tensors[keep]
    plain = _twiced(*kept, size_pt, False)
    if plain.max_pt < MIN_PT or not plain.is_paper():
        return None
    return _twiced(*kept, size_pt, True)


def _kept(centres_pt: np.ndarray, shifts_pt: np.ndarray, tensors: np.ndarray,
          size_pt: tuple[float, float], split: int) -> np.ndarray:
    """Which patches :func:`fit_stretch` keeps: those within :data:`OUTLIER_PT` of the
    field through the other half's kept patches (:func:`_cross_misfits`), in at most three
    rounds."""
    keep = np.ones(len(centres_pt), bool)
    for _ in range(3):
        new_keep = (_cross_misfits(centres_pt, shifts_pt, tensors, size_pt, keep, split)
                    <= OUTLIER_PT)
        if (new_keep == keep).all() or new_keep.sum() < 6:
            break
        keep = new_keep
    return keep


def held_out_misfits(centres_pt: np.ndarray, shifts_pt: np.ndarray, tensors: np.ndarray,
                     size_pt: tuple[float, float]) -> np.ndarray:
    """Each patch's misfit (:func:`misfits`) against a field fitted without it: the patches
    are split like a chessboard of :data:`STEP_PT` squares, and each half is measured
    against the field (:func:`fit_stretch`, outliers left out) of the other. A field fitted
    through noise fits its own patches better than the affine matrix alone, always; only a
    real stretch also fits the others. Without :func:`fit_stretch`'s surface, as that
    test was measured."""
    def field_of(fit):  # (its halves split again by column: see _half)
        return fit_stretch(centres_pt[fit], shifts_pt[fit], tensors[fit], size_pt, False,
                           1)[0]

    return _across_halves(centres_pt, shifts_pt, tensors, _half(centres_pt, 0),
                          np.ones(len(centres_pt), bool), field_of)


def _half(centres_pt: np.ndarray, split: int) -> np.ndarray:
    """One half of the patches: the black squares of a chessboard of :data:`STEP_PT`
    squares (``split`` 0), or the even columns (``split`` 1: a half of one colour of the
    chessboard, split again)."""
    cell = np.floor(centres_pt / STEP_PT).astype(int)
    return (cell[:, 0] + (cell[:, 1] if split == 0 else 0)) % 2 == 0


def _cross_misfits(centres_pt: np.ndarray, shifts_pt: np.ndarray, tensors: np.ndarray,
                   size_pt: tuple[float, float], keep: np.ndarray, split: int) -> np.ndarray:
    """Each patch's misfit (:func:`misfits`) against the field (:func:`_twiced`) through the
    ``keep`` patches of the other half (:func:`_half`): its neighbours on every side, not
    itself. Infinite where the other half keeps fewer than 6 patches."""
    def field_of(fit):
        return _twiced(centres_pt[fit], shifts_pt[fit], tensors[fit], size_pt, False)

    return _across_halves(centres_pt, shifts_pt, tensors, _half(centres_pt, split), keep,
                          field_of)


def _across_halves(centres_pt: np.ndarray, shifts_pt: np.ndarray, tensors: np.ndarray,
                   half: np.ndarray, usable: np.ndarray, field_of) -> np.ndarray:
    """Each patch's misfit (:func:`misfits`) against ``field_of(fit)``, the field through
    the ``usable`` patches of the other half (``half`` and its complement; ``fit``: a
    mask). Infinite where those are fewer than 6."""
    out = np.full(len(centres_pt), np.inf)
    for test in (half, ~half):
        fit = ~test & usable
        if fit.sum() < 6 or not test.any():
            continue
        out[test] = misfits(field_of(fit), centres_pt[test], shifts_pt[test], tensors[test])
    return out


def _twiced(centres_pt: np.ndarray, shifts_pt: np.ndarray, tensors: np.ndarray,
            size_pt: tuple[float, float], surface: bool = True) -> StretchField:
    """The field through all the given patches: local planes (:func:`_local_planes`) at
    nodes :data:`STEP_PT` apart over the sheet (``size_pt``: its width and height, points),
    about a polynomial over the whole sheet (:func:`_sheet_surface`) if ``surface``, else
    about 0; plus the same fitted through the residuals (twicing), within :data:`MAX_PT`."""
    w_pt, h_pt = size_pt
    cols = int(np.ceil(w_pt / STEP_PT)) + 1
    rows = int(np.ceil(h_pt / STEP_PT)) + 1
    nx, ny = np.meshgrid(np.arange(cols) * STEP_PT, np.arange(rows) * STEP_PT)
    nodes = np.stack([nx.ravel(), ny.ravel()], axis=1)

    level_prior = LEVEL_PRIOR if surface else 0.01

    def fitted(values_pt):
        values = _local_planes(nodes, centres_pt, values_pt, tensors, level_prior)
        return values[:, 0].reshape(rows, cols), values[:, 1].reshape(rows, cols)

    base_at_nodes = np.zeros((len(nodes), 2))
    base_at_patches = np.zeros((len(centres_pt), 2))
    if surface:
        coef = _sheet_surface(centres_pt, shifts_pt, tensors, size_pt)
        # held at its value at the patches' outermost: past them it is a guess
        base_at_nodes = _surface_at(coef, np.clip(nodes, centres_pt.min(axis=0),
                                                  centres_pt.max(axis=0)), size_pt)
        base_at_patches = _surface_at(coef, centres_pt, size_pt)
    lx, ly = fitted(shifts_pt - base_at_patches)
    once = StretchField(STEP_PT, lx + base_at_nodes[:, 0].reshape(rows, cols),
                        ly + base_at_nodes[:, 1].reshape(rows, cols))
    rx, ry = fitted(shifts_pt - once.shifts_at(centres_pt))
    # no farther than the patches measured: past the last of them (a blank margin, the
    # sheet's edge) a local plane carries its slope on, 3 pt off a 1.5 pt stretch at the
    # edge of a sparse sheet
    lo = np.maximum(shifts_pt.min(axis=0) - BEYOND_PT, -MAX_PT) if len(shifts_pt) else (0, 0)
    hi = np.minimum(shifts_pt.max(axis=0) + BEYOND_PT, MAX_PT) if len(shifts_pt) else (0, 0)
    return StretchField(STEP_PT, np.clip(once.dx + rx, lo[0], hi[0]),
                        np.clip(once.dy + ry, lo[1], hi[1]))


def _sheet_monomials(pts: np.ndarray, size_pt: tuple[float, float]) -> np.ndarray:
    """The monomials up to :data:`SURFACE_DEGREE` (n×k, the constant first) of points
    (n×2, points) scaled to -1..1 over the sheet (``size_pt``: width, height)."""
    u = 2.0 * pts[:, 0] / size_pt[0] - 1.0
    v = 2.0 * pts[:, 1] / size_pt[1] - 1.0
    return np.stack([u ** i * v ** j for i in range(SURFACE_DEGREE + 1)
                     for j in range(SURFACE_DEGREE + 1 - i)], axis=1)


def _sheet_surface(pts: np.ndarray, values: np.ndarray, tensors: np.ndarray,
                   size_pt: tuple[float, float], rounds: int = 3) -> np.ndarray:
    """A polynomial (:data:`SURFACE_DEGREE`, per component) through ``values`` (n×2,
    points) at ``pts`` (n×2, new-sheet points), weighted by each value's tensor (n×2×2) and
    robustly (Cauchy weights of :data:`SURFACE_SCALE_PT`): its coefficients, 2×k.

    The local planes of :func:`_local_planes` rest on it, so where no patch nearby fixes a
    direction (a band of the sheet with lines along it only), the field is carried over
    from where patches do fix it, across the sheet, instead of falling to 0. Its
    non-constant terms are held back by :data:`SURFACE_PRIOR`."""
    phi = _sheet_monomials(pts, size_pt)
    k = phi.shape[1]
    prior = np.full(2 * k, SURFACE_PRIOR)
    prior[[0, k]] = 1e-3
    coef = np.zeros((2, k))
    if len(pts) < 2 * k:
        return coef
    weights = np.ones(len(pts))
    for _ in range(rounds):
        tw = tensors * weights[:, None, None]
        a = np.einsum("nij,na,nb->iajb", tw, phi, phi).reshape(2 * k, 2 * k)
        b = np.einsum("nij,nj,na->ia", tw, values, phi).reshape(2 * k)
        coef = np.linalg.solve(a + np.diag(prior), b).reshape(2, k)
        off = directed_norm(values - phi @ coef.T, tensors)
        weights = 1.0 / (1.0 + (off / SURFACE_SCALE_PT) ** 2)
    return coef


def _surface_at(coef: np.ndarray, pts: np.ndarray, size_pt: tuple[float, float]
                ) -> np.ndarray:
    """:func:`_sheet_surface`'s polynomial (``coef``, 2×k) at points (n×2, new-sheet
    points): n×2 (points)."""
    return _sheet_monomials(np.asarray(pts, float).reshape(-1, 2), size_pt) @ coef.T


def misfits(field: StretchField, centres_pt: np.ndarray, shifts_pt: np.ndarray,
            tensors: np.ndarray) -> np.ndarray:
    """How far (points) each patch's shift is from the field, counted in the directions the
    patch fixes (``sqrt(rᵀ T r)``, ``T`` its tensor)."""
    return directed_norm(shifts_pt - field.shifts_at(centres_pt), tensors)


def directed_norm(r: np.ndarray, tensors: np.ndarray) -> np.ndarray:
    """The length (points) of each of the vectors ``r`` (n×2) counted in the directions its
    patch fixes: ``sqrt(rᵀ T r)`` with ``T`` its tensor (n×2×2)."""
    return np.sqrt(np.maximum(0.0, np.einsum("ni,nij,nj->n", r, tensors, r)))


def _local_planes(nodes: np.ndarray, pts: np.ndarray, values: np.ndarray,
                  tensors: np.ndarray, level_prior: float = 0.01) -> np.ndarray:
    """At each node (k×2 points), the value (k×2) at the node of a plane (one per
    component) fitted to ``values`` (n×2) at ``pts`` (n×2), by least squares weighted by
    a Gaussian of distance and by each value's tensor (n×2×2). Where few patches are near
    (an empty part of the sheet) the planes' slopes are held back, so the field there tends
    to the weighted mean of the nearest patches instead of extrapolating; a direction no
    patch nearby fixes tends to 0 (held there by ``level_prior``, a pseudo-weight in
    patches: :func:`_twiced` fits the values about a surface).

    The normal equations of every node come from one matrix product: the weights (k×n)
    times per-patch moments (the tensor's entries times 1, x, y, x², xy, y²; and the
    tensor times the value, times 1, x, y), shifted to each node's origin."""
    if len(pts) == 0:
        return np.zeros((len(nodes), 2))
    p = pts / SPREAD_PT
    q = nodes / SPREAD_PT
    # k×n squared distances, in spreads² (expanded: a product instead of a k×n×2 array)
    d2 = np.maximum(0.0, (q * q).sum(axis=1)[:, None] + (p * p).sum(axis=1)[None, :]
                    - 2.0 * (q @ p.T))
    # weights relative to the nearest patch's: a node far from every patch still rests on
    # the nearest ones
    w = np.exp(-0.5 * (d2 - d2.min(axis=1, keepdims=True)))
    x, y = p[:, 0], p[:, 1]
    mono = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)  # n×6
    t = tensors.reshape(-1, 4)  # T00 T01 T10 T11
    ts = np.einsum("nij,nj->ni", tensors, values)  # n×2
    feats = np.concatenate([(t[:, :, None] * mono[:, None, :]).reshape(len(p), -1),
                            (ts[:, :, None] * mono[:, None, :3]).reshape(len(p), -1)], axis=1)
    sums = w @ feats  # k×(24 + 6)
    mt = sums[:, :24].reshape(-1, 4, 6)  # per tensor entry: Σ w T 1, x, y, x², xy, y²
    mb = sums[:, 24:].reshape(-1, 2, 3)  # per component: Σ w (T s) 1, x, y
    nx, ny = q[:, 0], q[:, 1]
    # moments about each node: u = x - nx, v = y - ny
    s1 = mt[..., 0]
    su = mt[..., 1] - nx[:, None] * s1
    sv = mt[..., 2] - ny[:, None] * s1
    suu = mt[..., 3] - 2 * nx[:, None] * mt[..., 1] + (nx ** 2)[:, None] * s1
    svv = mt[..., 5] - 2 * ny[:, None] * mt[..., 2] + (ny ** 2)[:, None] * s1
    suv = (mt[..., 4] - nx[:, None] * mt[..., 2] - ny[:, None] * mt[..., 1]
           + (nx * ny)[:, None] * s1)
    # x xᵀ for x = (1, u, v), per tensor entry: k×4×3×3
    xx = np.stack([np.stack([s1, su, sv], -1), np.stack([su, suu, suv], -1),
                   np.stack([sv, suv, svv], -1)], -2)
    a = xx.reshape(-1, 2, 2, 3, 3).transpose(0, 1, 3, 2, 4).reshape(-1, 6, 6)
    b = np.stack([mb[..., 0], mb[..., 1] - nx[:, None] * mb[..., 0],
                  mb[..., 2] - ny[:, None] * mb[..., 0]], -1).reshape(-1, 6)
    # slopes held back by a pseudo-weight of :data:`SLOPE_PRIOR` patches; intercepts by
    # ``level_prior``
    for i in (0, 3):
        a[:, i, i] += level_prior
    for i in (1, 2, 4, 5):
        a[:, i, i] += SLOPE_PRIOR
    coef = np.linalg.solve(a, b[..., None])[..., 0]
    return coef[:, [0, 3]]
