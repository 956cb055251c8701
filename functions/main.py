"""Cloud Functions entry points (functions-framework).

Each entry point parses its event and calls the engine in ``buildtrace``; no logic lives
here. The pipeline's entry points (``on_upload``, prepare, diff, summarise, finalize) arrive
with issue #4; until then the engine is used through the ``buildtrace`` CLI.
"""
