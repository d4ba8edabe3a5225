"""The last Test Connection report of each profile, kept across console restarts.

Reports are the doctor's redacted JSON (safe for a support ticket), so they may live on disk; the
file is private anyway (0600 in a 0700 directory). Keyed by profiles file and profile name.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

FILE_NAME: Final = "console-reports.json"
MAX_ENTRIES: Final = 500


@dataclass
class LastReport:
    doc: dict[str, Any]
    at: float


class Reports:
    """Last doctor report per profile; ``path=None`` keeps them in memory only."""

    def __init__(self, config_file: str, path: Path | None) -> None:
        self._scope = config_file
        self._path = path
        self._lock = threading.Lock()
        self._items: dict[str, LastReport] = {}
        for name, entry in self._read().get(config_file, {}).items():
            if isinstance(entry, dict) and isinstance(entry.get("doc"), dict):
                self._items[name] = LastReport(entry["doc"], float(entry.get("at") or 0))

    def get(self, name: str) -> LastReport | None:
        return self._items.get(name)

    def set(self, name: str, doc: dict[str, Any]) -> LastReport:
        rep = LastReport(doc, time.time())
        with self._lock:
            self._items[name] = rep
            self._save()
        return rep

    def pop(self, name: str) -> None:
        with self._lock:
            if self._items.pop(name, None) is not None:
                self._save()

    def _read(self) -> dict[str, Any]:
        if self._path is None:
            return {}
        try:
            doc = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def _save(self) -> None:
        if self._path is None:
            return
        doc = self._read()
        doc[self._scope] = {n: {"doc": r.doc, "at": r.at} for n, r in self._items.items()}
        while len(doc) > MAX_ENTRIES:
            doc.pop(next(iter(doc)))
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".reports-", dir=str(self._path.parent))
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(doc, fh)
                os.replace(tmp, self._path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            pass  # badges are a convenience: a read-only state dir must not break Test Connection


def default_path() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("amzauth")) / FILE_NAME
