"""Output folders that never lose data: checked before work, locked while used, replaced whole.

A run's results go to a folder (`results/<name>/` or `--out`). The rules:

* **Checked up front.** Before any simulation, the folder must be creatable and writable
  (a probe folder is made and removed in its nearest existing ancestor), must not be a
  file, its name and the hidden names beside it must fit the file system, and if it exists
  it must be empty or an earlier citytwin output. Ownership is the marker file
  `.citytwin-output` and nothing else: a folder whose files merely look like citytwin's
  (a `manifest.json`, a `calibration.json`) is a user's, refused and never emptied.
* **Locked while used.** A run holds an exclusive lock (`flock` on `.<name>.lock` beside the
  folder) from before its simulation to the end, so a second run to the same folder is
  refused at once with the first one's pid, instead of failing after all its work. A file
  of that name that is not a lock (it holds anything but a pid) is refused, not truncated.
  Holding the lock and only once the folder has passed its check, the run removes what
  killed runs left (hidden `.<name>.tmp-<token>` and `.<name>.old-<token>` folders, the
  token random) and puts back an old result a killed fallback swap left aside; a hidden
  folder is touched only when the marker inside proves it citytwin's.
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
import re
import secrets
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


TOKEN_CHARS = 16   # the random part of a hidden working folder's name (hex)
_HIDDEN_SUFFIX = len(".tmp-") + TOKEN_CHARS + 1  # ".<name>.tmp-<token>" is this longer than the name


def _token() -> str:
    return secrets.token_hex(TOKEN_CHARS // 2)


def is_marked(path: Path) -> bool:
    """True if `path` is a folder holding citytwin's marker (and so citytwin's to replace)."""
    try:
        return path.is_dir() and not path.is_symlink() and (path / MARKER).is_file()
    except OSError:
        return False


def check_name(path: Path, option: str) -> None:
    """One line if `path` cannot be a file or folder name here: a NUL byte, a name (or the hidden
    names citytwin puts beside it) longer than the file system allows, a path too long."""
    text = os.fsencode(path)
    if b"\x00" in text:
        raise ScenarioError(f"{option} {path!r}: a path cannot hold a NUL character")
    ancestor = Path(path).absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    try:
        name_max = os.pathconf(ancestor, "PC_NAME_MAX")
        path_max = os.pathconf(ancestor, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    for part in Path(path).parts:
        if len(os.fsencode(part)) > name_max:
            raise ScenarioError(f"{option} {str(path)[:60]}...: a name of {len(os.fsencode(part))} bytes; "
                                f"this file system allows {name_max}")
    own = len(os.fsencode(Path(path).name)) + _HIDDEN_SUFFIX
    if own > name_max:
        raise ScenarioError(f"{option} {str(path)[:60]}...: the name is too long for the hidden working folder "
                            f"beside it ({own} bytes of {name_max}); use a name of at most "
                            f"{name_max - _HIDDEN_SUFFIX} bytes")
    # The files a command writes inside (figures/map_<target>.png, ...) need room below it.
    if len(os.fsencode(Path(path).absolute())) + 200 > path_max:
        raise ScenarioError(f"{option} {str(path)[:60]}...: the path is too long for the files written inside "
                            f"(at most {path_max - 200} bytes)")


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
        """Empty, or marked as a citytwin output. The marker alone decides: what the files
        inside look like proves nothing (a user's own `manifest.json` can say anything)."""
        return not any(self.path.iterdir()) or (self.path / MARKER).is_file()

    def kind_there(self) -> str | None:
        """Which command's output the folder holds, as its marker says (None: empty or unsaid).
        Only ever used to refuse: a run must not replace a sweep's store of hours of runs."""
        try:
            said = json.loads((self.path / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            said = None
        if isinstance(said, dict) and isinstance(said.get("kind"), str):
            return said["kind"]
        return "sweep" if (self.path / "_sweep.json").exists() else None

    def check(self) -> None:
        """Raise ScenarioError unless results can be written here without losing anyone's data."""
        p = self.path
        check_name(p, self.option)
        if p.name in ("", ".", ".."):
            raise self._say("give the folder by its own name (it is replaced whole, so it cannot be '.' or '..')")
        here, there = Path.cwd().resolve(), p.resolve()
        if here == there or there in here.parents:
            raise self._say("is the current folder or holds it; results replace their folder whole: choose another")
        try:
            if p.is_symlink():
                raise self._say("is a symbolic link; give the folder it points to")
            if p.exists():
                if not p.is_dir():
                    raise self._say("exists and is not a folder")
                if not self.is_ours():
                    raise self._say(f"exists and is not a citytwin output folder (no {MARKER} marker); "
                                    "choose another folder, or empty this one first")
                other = self.kind_there()
                if other is not None and other != self.kind:
                    raise self._say(f"holds a citytwin {other} output, not a {self.kind} output; choose another "
                                    "folder (or delete that one first)")
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
        foreign = self._say(f"{self._lock_path} exists and is not a citytwin lock file; move it away first")
        if self._lock_path.is_symlink() or (self._lock_path.exists() and not self._lock_path.is_file()):
            raise foreign
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            held = os.pread(fd, 64, 0)
        except OSError as exc:
            raise self._say(f"cannot be written ({exc.strerror or exc})") from None
        if not re.fullmatch(rb"(\d{1,10}\n?)?", held):
            os.close(fd)  # someone else's file of that name (it holds more than a pid): never truncated
            raise foreign
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
            self.check()  # again, now that no one else can change it, and before touching anything
            self._recover()
            self.check()
            yield self
        finally:
            self._lock_fd = None
            os.close(fd)  # releases the lock; the lock file stays (removing it would race)

    def _leftovers(self, kind: str) -> list[Path]:
        """Hidden working folders of this output that killed runs left, oldest first: named
        `.<name>.<kind>-<token>` and marked inside (an unmarked folder of such a name is not ours)."""
        prefix = f".{self.path.name}.{kind}-"
        found = [q for q in self.path.parent.iterdir()
                 if q.name.startswith(prefix) and re.fullmatch(r"[0-9a-f]+", q.name[len(prefix):])
                 and is_marked(q)]
        return sorted(found, key=lambda q: q.stat().st_mtime)

    def _recover(self) -> None:
        """Undo what killed runs left: put back an old result a fallback swap left aside, then
        remove half-written and superseded folders (only those marked as citytwin's)."""
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
        tmp = self.path.parent / f".{self.path.name}.tmp-{_token()}"
        tmp.mkdir()  # a fresh random name: never someone else's folder
        marker = {"kind": self.kind, "scenario": scenario, "pid": os.getpid(),
                  "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        # Marked at once, so a killed run's half-written folder is recognisably citytwin's.
        (tmp / MARKER).write_text(json.dumps(marker | {"complete": False}) + "\n", encoding="utf-8")
        try:
            yield tmp
            _step("filled")
            (tmp / MARKER).write_text(json.dumps(marker | {"complete": True}) + "\n", encoding="utf-8")
            _step("marked")
            if self.path.exists():
                if not (self.path / MARKER).exists():
                    (self.path / MARKER).touch()  # an empty folder given as --out: ours once set aside
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
    old = dest.parent / f".{dest.name}.old-{_token()}"
    dest.rename(old)
    _step("set_aside")
    new.rename(dest)
    old.rename(new)


def changed_name(name: str, sets: list[str], limit: int = 80) -> str:
    """The default results folder of a scenario run with `--set`: its name and the changes, so a
    variant never replaces the plan's own results (a long list ends in a hash of the whole).

    >>> changed_name("dak_lak", ["budget.dx_share=0.05"])
    'dak_lak__budget.dx_share-0.05'
    >>> changed_name("dak_lak", ['time.end="2030-12"', "budget.allocation.skills = 0.2"])
    'dak_lak__time.end-2030-12__budget.allocation.skills-0.2'
    """
    import hashlib
    import re

    parts = [re.sub(r"[^A-Za-z0-9_.-]+", "", re.sub(r"\s*=\s*", "-", s.strip())) for s in sets]
    text = "__".join([name, *parts])
    if len(text) <= limit:
        return text
    digest = hashlib.sha256("\n".join(sets).encode("utf-8")).hexdigest()[:10]
    return f"{text[:limit - 12]}__{digest}"
