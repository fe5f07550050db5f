"""A new terminal key file, written without ``cryptography`` (so the demo enrols itself before its first screen)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from ccsoo_exam.errors import CcsooError, Problem


def new_key_file(path: Path) -> None:
    """Create a private key file readable only by its owner (fails if the file exists).

    Written as PKCS#8 PEM directly (a fixed prefix and 32 random bytes), so the demo can
    enrol itself before its first screen without waiting for ``cryptography``.
    """
    der = _PKCS8_ED25519_PREFIX + os.urandom(32)
    body = base64.encodebytes(der).decode().replace("\n", "")
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n".encode()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CcsooError(
            Problem(str(path), None, "already exists; a terminal keeps its key (remove it to re-enrol)")
        ) from None
    except OSError as exc:
        raise CcsooError(Problem(str(path), None, f"cannot create the key file ({exc.strerror})")) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


_PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
