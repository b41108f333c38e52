"""Watch a folder (a watch's sync folder, a Strava export) and import each finished file once.

Polling, not inotify: sync folders are often on network or FUSE file systems, and a file
counts as finished only when its size and time stay the same across two polls anyway.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from skill.activity_files import is_activity_file
from skill.errors import SkillError
from skill.file_import import FileOutcome

# (size in bytes, modification time in ns): a file that keeps both for a poll is finished.
Signature = tuple[int, int]
Importer = Callable[[Sequence[Path]], Sequence[FileOutcome]]
STATE_VERSION = 1

log = logging.getLogger(__name__)


class FolderWatch:
    """Import activity files as they appear or change in a folder (and its subfolders)."""

    def __init__(
        self,
        folder: Path,
        importer: Importer,
        state_file: Path | None = None,
        report: Callable[[FileOutcome], None] | None = None,
    ) -> None:
        self.folder = folder
        self._importer = importer
        self._state_file = state_file
        self._report = report or (lambda outcome: None)
        # Files handled (imported, already stored, or refused) at the signature they had then.
        self._done: dict[str, Signature] = _load_state(state_file)
        # Files seen last poll and not yet handled: imported once seen unchanged again.
        self._pending: dict[str, Signature] = {}
        self._folder_missing = False

    def scan_once(self) -> list[FileOutcome]:
        """Poll the folder once: import the files that stopped changing; return what happened."""
        current = self._listing()
        ready = [
            path
            for path, signature in current.items()
            if self._done.get(path) != signature and self._pending.get(path) == signature
        ]
        self._pending = {
            path: signature
            for path, signature in current.items()
            if self._done.get(path) != signature
        }
        if not ready:
            return []
        try:
            outcomes = list(self._importer([Path(path) for path in sorted(ready)]))
        except SkillError as exc:
            # The store failed (nothing was written): the same files are tried next poll.
            log.error("could not store runs from %s: %s", self.folder, exc)
            return []
        for outcome in outcomes:
            key = str(outcome.path)
            self._done[key] = current[key]
            self._pending.pop(key, None)
            self._report(outcome)
        self._save_state()
        return outcomes

    def run(self, interval_s: float, stop: threading.Event) -> None:
        """Poll every interval until `stop` is set (a signal handler sets it)."""
        while not stop.is_set():
            self.scan_once()
            stop.wait(interval_s)

    def _listing(self) -> dict[str, Signature]:
        files: dict[str, Signature] = {}
        try:
            candidates = sorted(self.folder.rglob("*"))
        except OSError as exc:
            candidates = []
            if not self._folder_missing:
                log.warning("cannot list %s (%s); still watching", self.folder, exc)
        if not candidates and not self.folder.is_dir():
            if not self._folder_missing:
                log.warning("%s is not there (unmounted?); still watching", self.folder)
            self._folder_missing = True
            return files
        self._folder_missing = False
        for path in candidates:
            if not is_activity_file(path):
                continue
            try:
                stat = path.stat()
            except OSError:
                continue  # gone between listing and stat: a sync tool's temporary file
            if path.is_file():
                files[str(path)] = (stat.st_size, stat.st_mtime_ns)
        return files

    def _save_state(self) -> None:
        if self._state_file is None:
            return
        document = {"version": STATE_VERSION, "files": self._done}
        temporary = self._state_file.with_name(self._state_file.name + ".tmp")
        try:
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(document))
            os.replace(temporary, self._state_file)
        except OSError as exc:
            # Losing the state costs re-reading files later (stored once anyway), not runs.
            log.warning("cannot save the watch state to %s: %s", self._state_file, exc)


def _load_state(state_file: Path | None) -> dict[str, Signature]:
    if state_file is None or not state_file.exists():
        return {}
    try:
        document = json.loads(state_file.read_text())
        files = document["files"] if document.get("version") == STATE_VERSION else {}
        return {str(path): (int(size), int(mtime)) for path, (size, mtime) in files.items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("ignoring the watch state in %s (%s): files are read again", state_file, exc)
        return {}
