"""Atomic writes of files, for ``save``: a temporary file in the target's folder, flushed to
disk and renamed over the target; symlinks followed, special files refused, the umask
honoured, and the temporary files of killed writes cleaned up."""

from __future__ import annotations

import os
import stat
import tempfile
import time

__all__ = ["write_atomically"]

LEGACY_STALE_SECONDS = 3600

_writing: set[str] = set()  # this process's temporary files being written now


def write_atomically(path: str, write) -> None:
    """Call ``write(tmp)`` to fill a temporary file, then rename it over ``path``."""
    target = _target(path)
    folder, base = os.path.split(target)
    _remove_stale_temporaries(folder, base)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}.", suffix=".tmp", dir=folder)
    _writing.add(tmp)
    try:
        os.close(fd)
        write(tmp)
        with open(tmp, "rb+") as out:
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        _writing.discard(tmp)
    _fsync_dir(folder)


def _target(path: str) -> str:
    """The regular file that saving to ``path`` writes: symlinks resolved, the rest refused."""
    target = os.path.realpath(path)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        kind = (
            "a folder" if stat.S_ISDIR(mode)
            else "a FIFO" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file"
        )  # fmt: skip
        shown = repr(path) if target == os.path.abspath(path) else f"{path!r} (-> {target!r})"
        raise ValueError(
            f"save: {shown} is {kind}; save writes regular files only. Give the path of a "
            "regular file or a new one."
        )
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or '.'} does not exist.")
    return target


def _remove_stale_temporaries(folder: str, base: str) -> None:
    """Remove the temporary files that a killed save to the same target left behind: those
    named for a process that no longer runs, or for this process but no longer written; and
    those of the earlier naming (no process id) untouched for an hour."""
    prefix = f".{base}."
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        rest = name[len(prefix) : -len(".tmp")]
        path = os.path.join(folder, name)
        pid = rest.split(".")[0]
        if path in _writing:
            continue
        if pid.isdigit() and "." in rest:
            stale = int(pid) == os.getpid() or not _running(int(pid))
        else:  # ".NAME.XXXXXXXX.tmp", as saves wrote them before the process id was added
            stale = len(rest) == 8 and "." not in rest and _age(path) > LEGACY_STALE_SECONDS
        if stale:
            try:
                os.unlink(path)
            except OSError:
                pass


def _age(path: str) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return 0.0


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or a name we cannot judge: leave it
    return True


def _umask() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # NOTE: the portable way to read it sets it; put it back at once
    os.umask(mask)
    return mask


def _fsync_dir(folder: str) -> None:
    # NOTE: makes the rename itself durable; not possible on every OS/filesystem (e.g. Windows).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
