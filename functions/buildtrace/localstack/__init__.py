"""The local stack (``make stack``): the cloud pipeline on one machine, on real emulators.

Firestore and Pub/Sub emulators from the Google Cloud CLI, fake-gcs-server (publishing
finalize events to Pub/Sub), the Firebase Auth emulator (firebase-tools), the functions
(functions-framework apps under gunicorn), and a runner that executes
workflows/compare.yaml with ``workflows-emulator`` (extended in :mod:`emulator_ext`) and
relays finalize events to ``on_upload`` as CloudEvents. Development and test tooling: none
of it deploys.
"""
