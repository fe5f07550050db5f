"""Reading an input file named on the command line or in an exam definition.

Every command reads its inputs here, so they all refuse the same things the same way: a
FIFO (opening one blocks until a writer appears, so a mistyped path hung commands
forever), a directory or a device, a missing or unreadable file, a file over the size
cap, and an empty file where content is required. The file is opened non-blocking and
checked with fstat on the open descriptor, so the check and the read are of one file.
"""

from __future__ import annotations

import os
import stat

from ccsoo_exam.errors import CcsooError, Problem


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def not_regular(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be read as an input file, or None when it is a regular file."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "file not found; check the path"
    except PermissionError:
        return "permission denied; check who owns the file"
    except OSError as exc:
        return f"cannot read the file ({exc.strerror}); check the path"
    if stat.S_ISREG(mode):
        return None
    return f"is {_kind(mode)}, not a file; give the path of a regular file"


def require_regular(path: str | os.PathLike[str]) -> None:
    """Raise the one-line problem when ``path`` is not a regular file."""
    reason = not_regular(path)
    if reason is not None:
        raise CcsooError(Problem(str(path), None, reason))


def read_input(path: str | os.PathLike[str], max_bytes: int, *, what: str = "file", allow_empty: bool = False) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or one clear problem."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise CcsooError(Problem(name, None, "file not found; check the path")) from None
    except IsADirectoryError:
        raise CcsooError(Problem(name, None, f"is a directory, not a {what}; give the path of a file")) from None
    except PermissionError:
        raise CcsooError(Problem(name, None, "permission denied; check who owns the file")) from None
    except OSError as exc:
        raise CcsooError(Problem(name, None, f"cannot read the {what} ({exc.strerror}); check the path")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CcsooError(Problem(name, None, f"is {_kind(info.st_mode)}, not a {what}; give the path of a file"))
        if info.st_size > max_bytes:
            raise CcsooError(
                Problem(
                    name,
                    None,
                    f"{what} is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit; "
                    "split it or check it is the right file",
                )
            )
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise CcsooError(Problem(name, None, f"cannot read the {what} ({exc.strerror}); check the file")) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while we read it
        raise CcsooError(Problem(name, None, f"{what} is over the {max_bytes:,}-byte limit; is it the right file?"))
    if not allow_empty and not data.strip():
        raise CcsooError(Problem(name, None, f"{what} is empty; give a file with content"))
    return data
