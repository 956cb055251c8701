"""The fonts PDFium draws and reads a drawing's non-embedded fonts with: the package's own.

CAD programs often leave their fonts out of a PDF (Japanese output names MS-Gothic and
MS-Mincho and embeds neither). PDFium then looks for a stand-in among the fonts of folders
it scans, by default the machine's (/usr/share/fonts ...). Two things follow, both bad for a
comparison:

- without a CJK font there, every Japanese label in such a font is **not drawn at all**:
  room names, window marks and notes vanish from the overlay, the views and the crops;
- with one, what is drawn *and read* depends on which font it is: with Droid Sans Fallback
  alone, PDFium drew the floor plans' labels but read their sheet number "4" as U+0000 and
  gave Japanese characters boxes of no height; with IPA Gothic it draws and reads them all.

So PDFium is given the package's font folder (:data:`PACKAGE_FONTS`, which `make setup`
fills from Debian's packages and the cloud deploys with the code) in place of the machine's:
IPA Gothic and IPA Mincho (Japanese; PDFium picks them for MS-Gothic and MS-Mincho by its own
preference list), Droid Sans Fallback (Chinese), DejaVu Sans. A sheet is then drawn and read
the same on a laptop, in CI and in the cloud. Latin fonts are unaffected: PDFium stands its
built-in fonts in for those whatever folders it has.

``BUILDTRACE_FONT_PATH`` (folders, separated by ``os.pathsep``) adds folders searched before
the package's, for a firm's own fonts (a real MS Gothic, say).
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger("buildtrace")

#: Where `make setup` unpacks the fonts, inside the package (the cloud functions and the
#: Cloud Run job are deployed from sources that include it): Debian's fonts-ipafont-gothic,
#: fonts-ipafont-mincho, fonts-droid-fallback and fonts-dejavu-core, each file's notice
#: beside it. report.pdf embeds subsets of these too (:mod:`.pdf_canvas`).
PACKAGE_FONTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "fonts")

#: The state of PDFium's font folders once :func:`use_package_fonts` ran: the folders given
#: (None: PDFium's default, the machine's), and the ctypes buffers PDFium keeps pointers to
#: for as long as the library lives.
_configured: dict = {}


def font_folders(environ=os.environ) -> list[str]:
    """The folders PDFium is to search for a drawing's non-embedded fonts: those of
    ``BUILDTRACE_FONT_PATH`` that exist, then :data:`PACKAGE_FONTS` if it exists. Empty when
    none does (PDFium then keeps the machine's folders)."""
    extra = [p for p in environ.get("BUILDTRACE_FONT_PATH", "").split(os.pathsep) if p]
    return [os.path.abspath(p) for p in [*extra, PACKAGE_FONTS] if os.path.isdir(p)]


def use_package_fonts() -> list[str] | None:
    """Point PDFium at :func:`font_folders` instead of the machine's font folders (once a
    process; later calls return what the first did). Re-initialises the library, so it must
    run before any document is opened: the engine's package calls it on import. Returns the
    folders given, or None when PDFium kept its default (no folder exists: `make setup` has
    not run, which is logged)."""
    if "folders" in _configured:
        return _configured["folders"]
    import pypdfium2  # noqa: F401  (initialises PDFium with its default folders)
    import pypdfium2.raw as pdfium_c
    from pypdfium2.internal import ObjectTracker

    folders = font_folders()
    if not folders:
        log.warning("no font folder at %s (run `make setup`): PDFium draws drawings' "
                    "non-embedded fonts with the machine's fonts, and Japanese labels in "
                    "them may not be drawn", PACKAGE_FONTS)
    elif any(ref() is not None for refs in ObjectTracker.values() for ref in refs):
        # re-initialising the library would close what is open
        log.warning("PDFium had documents open before the engine was imported; it keeps "
                    "the machine's font folders")
        folders = []
    _configured["folders"] = folders or None
    if not folders:
        return None
    # PDFium keeps the pointer to this NULL-terminated array and reads it when it first
    # needs a font, so the buffers live as long as the process
    names = [ctypes.create_string_buffer(os.fsencode(f)) for f in folders]
    array = (ctypes.POINTER(ctypes.c_char) * (len(names) + 1))(
        *[ctypes.cast(n, ctypes.POINTER(ctypes.c_char)) for n in names], None)
    config = pdfium_c.FPDF_LIBRARY_CONFIG(version=2, m_pUserFontPaths=array, m_pIsolate=None,
                                          m_v8EmbedderSlot=0)
    # pypdfium2 initialised the library on import and destroys it at exit; nothing is open
    # yet, so it is destroyed and initialised again with the folders in between
    pdfium_c.FPDF_DestroyLibrary()
    pdfium_c.FPDF_InitLibraryWithConfig(config)
    _configured["buffers"] = (names, array, config)
    return folders
