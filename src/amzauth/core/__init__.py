"""Sans-IO core: pure functions over plain data (routing, token wire format, retries, diagnosis).

Nothing in this package opens a socket, reads a file or looks at the clock on its own; callers
pass time and data in. The sync and async shells in ``amzauth.engine`` only move bytes.
"""
