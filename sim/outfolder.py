"""Output folders that never lose data: checked before work, locked while used, replaced whole.

A run's results go to a folder (`results/<name>/` or `--out`). The rules:

* **Checked up front.** Before any simulation, the folder must be creatable and writable
  (a probe folder is made and removed in its nearest existing ancestor), must not be a
  file, and if it exists it must be empty or an earlier citytwin output (it holds the
  marker file `.citytwin-output` beside the manifest, or is a pre-marker citytwin output
  with its manifest). Any other folder is refused, never emptied.
* **Locked while used.** A run holds an exclusive lock (`flock` on `.<name>.lock` beside the
  folder) from before its simulation to the end, so a second run to the same folder is
  refused at once with the first one's pid, instead of failing after all its work.
  Holding the lock, the run removes what killed runs left (hidden `.<name>.tmp-*` and
  `.<name>.old-*` folders) and puts back an old result a killed fallback swap left aside.
* **Replaced whole.** New results are written into a hidden sibling folder, marked, then
  swapped with the old folder in one atomic `renameat2(RENAME_EXCHANGE)` (Linux): at every
  instant the folder holds either the complete old or the complete new result. Where the
  exchange is not available (another OS or filesystem) the swap is two renames, and a kill
  between them is repaired by the next run to that folder.

Example:
    >>> import tempfile, pathlib
    >>> out = OutputFolder(pathlib.Path(tempfile.mkdtemp()) / "r", kind="run")
    >>> out.check()
    >>> with out.locked(), out.replacing() as tmp:
    ...     _ = (tmp / "a.txt").write_text("new")
    >>> sorted(p.name for p in out.path.iterdir())
    ['.citytwin-output', 'a.txt']
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import ScenarioError
from sim.files import MARKER


def _step(name: str) -> None:
    """A named point of the replacement (a seam for the kill tests; nothing happens here)."""


class OutputFolder:
    """One output folder of citytwin: `check()` before work, then `locked()` around the work
    and `replacing()` around writing the results."""

    def __init__(self, path: Path, kind: str, option: str = "--out") -> None:
        self.path = Path(path)
        self.kind = kind
        self.option = option
        self._lock_fd: int | None = None

    # ------------------------------------------------------------------ before work

    def _say(self, what: str) -> ScenarioError:
        return ScenarioError(f"{self.option} {self.path}: {what}")

    def is_ours(self) -> bool:
        """Empty, or marked as a citytwin output (or a citytwin output from before the marker)."""
        p = self.path
        if not any(p.iterdir()):
            return True
        if (p / MARKER).is_file():
            return True
        for name, key in (("manifest.json", "citytwin_version"), ("calibration.json", "command")):
            try:
                data = json.loads((p / name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and key in data:
                return True
        return False

    def check(self) -> None:
        """Raise ScenarioError unless results can be written here without losing anyone's data."""
        p = self.path
        try:
            if p.exists() or p.is_symlink():
                if not p.is_dir():
                    raise self._say("exists and is not a folder")
                if not self.is_ours():
                    raise self._say(f"exists and is not a citytwin output folder (no {MARKER} marker); "
                                    "choose another folder, or empty this one first")
            ancestor = p.parent
            while not ancestor.exists():
                ancestor = ancestor.parent
            if not ancestor.is_dir():
                raise self._say(f"{ancestor} is not a folder")
            probe = tempfile.mkdtemp(prefix=".citytwin-probe-", dir=ancestor)
            os.rmdir(probe)
        except OSError as exc:
            raise self._say(f"cannot be written ({exc.strerror or exc})") from None

    # ------------------------------------------------------------------ while working

    @property
    def _lock_path(self) -> Path:
        return self.path.parent / f".{self.path.name}.lock"

    @contextmanager
    def locked(self) -> Iterator[OutputFolder]:
        """Hold the folder's lock (refuse at once if another run holds it) and tidy up after
        killed runs."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise self._say(f"cannot be written ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise self._say(f"another citytwin run (pid {holder}) is writing there; "
                            "wait for it to finish or choose another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd
        try:
            self._recover()
            self.check()  # again, now that no one else can change it
            yield self
        finally:
            self._lock_fd = None
            os.close(fd)  # releases the lock; the lock file stays (removing it would race)

    def _leftovers(self, kind: str) -> list[Path]:
        return sorted(self.path.parent.glob(f".{self.path.name}.{kind}-*"), key=lambda q: q.stat().st_mtime)

    def _recover(self) -> None:
        """Undo what killed runs left: put back an old result a fallback swap left aside, then
        remove half-written and superseded folders."""
        old = self._leftovers("old")
        if old and not self.path.exists():
            old[-1].rename(self.path)  # the newest complete result that was set aside
        for leftover in self._leftovers("tmp") + self._leftovers("old"):
            shutil.rmtree(leftover, ignore_errors=True)

    # ------------------------------------------------------------------ writing

    @contextmanager
    def replacing(self, scenario: str = "") -> Iterator[Path]:
        """Yield an empty hidden folder to fill; if the block succeeds it becomes the output,
        replacing the old one atomically. On any error or interrupt the old one is untouched."""
        if self._lock_fd is None:
            raise RuntimeError("replacing() needs the folder's lock: use it inside locked()")
        tmp = self.path.parent / f".{self.path.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            yield tmp
            _step("filled")
            marker = {"kind": self.kind, "scenario": scenario, "pid": os.getpid(),
                      "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            (tmp / MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
            _step("marked")
            if self.path.exists():
                _swap(tmp, self.path)  # tmp now holds the old result
                _step("swapped")
            else:
                tmp.rename(self.path)
                _step("renamed")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


_EXCHANGE_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV}


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in _EXCHANGE_UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap(new: Path, dest: Path) -> None:
    """Put `new` at `dest` and the old `dest` at `new`."""
    if _exchange(new, dest):
        return
    # Fallback: two renames. A kill between them leaves the old result at `.name.old-PID`;
    # the next run to this folder puts it back (OutputFolder._recover).
    old = dest.parent / f".{dest.name}.old-{os.getpid()}"
    dest.rename(old)
    _step("set_aside")
    new.rename(dest)
    old.rename(new)
