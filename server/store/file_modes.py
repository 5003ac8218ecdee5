"""The home folder and file-mode policy: callforce's files are its user's alone.

The home directory is created 0700. A home that already exists and that group or others may
use is made private before anything is read or written in it (:func:`private_home`): the folder
0700, and everything directly in it loses its group and other permissions (callforce's files
become 0600, its folders 0700). When that cannot be done (another owner, a read-only mount)
:class:`HomeNotPrivate` says what to run. A file made with :func:`private_file` is 0600 before
anything is written to it.
"""

from __future__ import annotations

import logging
import os
import shlex
import stat
from pathlib import Path

logger = logging.getLogger("callforce.store")


class HomeNotPrivate(PermissionError):  # noqa: N818 - names what is refused, as the errors tree
    """``CALLFORCE_HOME`` is open to group or others and its mode cannot be changed."""


def private_home(home: Path) -> None:
    """Create ``home`` 0700, or make an existing one private (module docstring)."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(home.stat().st_mode)
    if not mode & 0o077:
        return
    try:
        os.chmod(home, 0o700)
        for entry in home.iterdir():
            # lstat: a symbolic link is left alone, not followed out of the home.
            entry_mode = stat.S_IMODE(entry.lstat().st_mode)
            if not entry.is_symlink() and entry_mode & 0o077:
                os.chmod(entry, entry_mode & 0o700)
    except OSError as exc:
        quoted = shlex.quote(str(home))
        raise HomeNotPrivate(
            f"CALLFORCE_HOME {home} is open to other users (mode {mode:04o}), and callforce "
            f"cannot make it private ({exc.strerror or exc}). It holds the Salesforce tokens "
            f"and their key: run  chmod 700 {quoted} && chmod -R go-rwx {quoted}  as its "
            "owner, or choose another CALLFORCE_HOME."
        ) from None
    logger.warning(
        "%s was open to other users (mode %04o): made it 0700, and its contents private", home, mode
    )


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if absent; tighten it to 0600 if present."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    path.chmod(0o600)
