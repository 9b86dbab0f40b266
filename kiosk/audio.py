"""Audio descriptions: Kivy's ``SoundLoader`` behind play, pause (resumable) and stop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class AudioPlayer:
    """Plays one sound at a time; ``on_finished`` is called when one ends by itself."""

    def __init__(self, on_finished: Callable[[], None]) -> None:
        self.on_finished = on_finished
        self.sound: Any = None
        self.key: str | None = None
        self._resume_at = 0.0
        self._ours = False  # the stop in progress is ours (pause/stop), not the end

    @property
    def playing(self) -> bool:
        return self.sound is not None and self.sound.state == "play"

    def play(self, path: Path, key: str) -> bool:
        """Play the file (resuming where it was paused); False when it cannot be loaded."""
        from kivy.core.audio import SoundLoader

        if self.key != key:
            self.stop()
            if self.sound is not None:
                self.sound.unload()
            self.sound = SoundLoader.load(str(path))
            self.key = key
            if self.sound is None:
                log.warning("audio description %s could not be loaded", key[:12])
                return False
            self.sound.bind(on_stop=self._stopped)
        if self.sound is None:
            return False
        if not self.playing:
            self.sound.play()
            if self._resume_at > 0:
                self.sound.seek(self._resume_at)
            self._resume_at = 0.0
        return True

    def pause(self) -> None:
        """Stop, remembering the position for the next ``play`` of the same sound."""
        if self.playing:
            self._resume_at = float(self.sound.get_pos())
            self._halt()

    def stop(self) -> None:
        """Stop and forget the position."""
        self._resume_at = 0.0
        if self.playing:
            self._halt()

    def _halt(self) -> None:
        self._ours = True
        try:
            self.sound.stop()
        finally:
            self._ours = False

    def _stopped(self, *args: Any) -> None:
        if not self._ours:
            self._resume_at = 0.0
            self.on_finished()
