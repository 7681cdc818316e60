"""What the kiosk, the sync job and the server share: the response record, question sets and their validation,
config-file errors, the sync protocol, privacy (scrubbing, the concern reader), export formatting, fonts, plain
words, private files and the project's paths. It imports neither program (kiosk, sync.server): see the import
contracts in pyproject.toml, checked by tests/test_import_contracts.py."""
