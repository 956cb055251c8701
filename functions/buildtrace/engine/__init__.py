"""The comparison engine: PDFs and arrays in, results out (no cloud imports)."""

from .pdfium_fonts import use_package_fonts

# before any document is opened: PDFium draws and reads a drawing's non-embedded fonts with
# the package's fonts, the same on every machine (see pdfium_fonts)
use_package_fonts()
