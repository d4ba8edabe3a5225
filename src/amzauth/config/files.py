"""Writing files that hold secrets: atomically, and never readable by others, not even for a moment.

One implementation for the profiles file (console editor, ``tomledit``) and the rotated-secret file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic"]


def write_text_atomic(path: str | Path, text: str, *, mode: int = 0o600, private_dir: bool = False) -> None:
    """Replace ``path`` with ``text`` so that readers see the old file or the new one, never half of it.

    The temp file sits in the same directory (so the rename is atomic) and gets ``mode`` before a
    byte is written; the text is written as given (no newline translation) and synced, then renamed
    over ``path``, then the directory is synced so the rename survives a crash. A missing directory
    is made 0700; ``private_dir`` also makes an existing one 0700.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if private_dir and os.name == "posix":
        os.chmod(p.parent, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        if os.name == "posix":
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
