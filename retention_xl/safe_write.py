"""The one way retention_xl writes a file: never through a link, never half a file.

Every output (report, template, log workbook, Excel example workbook, the
xlwings Lite files) goes through :func:`write_new_file`:

- a symbolic link at the output path is refused, dangling or not, with or
  without overwrite: following it would write over (or create) a file
  somewhere else, possibly one the user never meant to touch;
- the content is written to a temporary file in the same folder and moved into
  place in one step, so a crash leaves either the old file or the new one;
- an existing file is kept unless the caller asks to overwrite it, and the
  input files are never written over, whatever is asked;
- the temporary file is removed on any failure.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

from .errors import Problem, RetentionInputError

__all__ = ["write_new_file", "write_new_text"]


def _refuse(clause: str, hint: str = "") -> RetentionInputError:
    return RetentionInputError(Problem("output", clause, hint))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def write_new_file(path: str | os.PathLike, write: Callable[[Path], None], *, overwrite: bool = False,
                   protect: tuple[str | os.PathLike, ...] = ()) -> Path:
    """Write a file through a temporary file in the same folder, then move it into place.

    Parameters
    ----------
    path : str or path
        Where the file goes. A symbolic link there is refused.
    write : callable
        ``write(temporary_path)`` writes the content.
    overwrite : bool, optional
        Replace an existing regular file at ``path``. Default False.
    protect : tuple of paths, optional
        Files that must never be replaced, whatever ``overwrite`` says (the inputs).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    RetentionInputError
        The output is a link, a folder, an input, already exists (without
        ``overwrite``) or its folder does not exist.

    Examples
    --------
    A link at the output path is never followed:

    >>> import os, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> os.symlink(folder / "elsewhere.txt", folder / "out.txt")
    >>> try:
    ...     write_new_file(folder / "out.txt", lambda p: p.write_text("hi"), overwrite=True)
    ... except RetentionInputError as error:
    ...     print(error)  # doctest: +ELLIPSIS
    out.txt is a symbolic link (to .../elsewhere.txt): ...
    >>> (folder / "elsewhere.txt").exists()
    False
    """
    target = Path(path)
    try:
        status = os.lstat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise _refuse(f"{target} cannot be checked ({error.strerror})") from None
    if status is not None and stat.S_ISLNK(status.st_mode):
        raise _refuse(f"{target.name} is a symbolic link (to {os.readlink(target)})",
                      "retention_xl never writes through a link; give the path of a new file")
    for kept in protect:
        kept = Path(kept)
        if (status is not None and kept.exists() and _same_file(kept, target)) or \
                kept.resolve() == target.resolve():
            raise _refuse(f"the output {target} is the input file",
                          "choose another name for the output: the input is never written over")
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise _refuse(f"{target} is a folder or a device, not a file", "give the path of a file")
    if status is not None and not overwrite:
        raise _refuse(f"{target} already exists", "choose another name, or ask to overwrite it (--force)")
    if not target.parent.is_dir():
        raise _refuse(f"the folder {target.parent} does not exist", "create it first, or choose another folder")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix,
                                             dir=target.parent)
    except OSError as error:
        raise _refuse(f"cannot write in the folder {target.parent} ({error.strerror})") from None
    os.close(handle)
    temporary = Path(temporary)
    try:
        write(temporary)
        if overwrite:
            os.replace(temporary, target)  # replaces the name itself, never a link's target
        else:
            try:
                os.link(temporary, target)  # fails if the file appeared meanwhile: never clobber
            except FileExistsError:
                raise _refuse(f"{target} already exists", "choose another name, or ask to overwrite it "
                                                          "(--force)") from None
            temporary.unlink()
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def write_new_text(path: str | os.PathLike, text: str, *, overwrite: bool = False) -> Path:
    """:func:`write_new_file` for a UTF-8 text file."""
    return write_new_file(path, lambda temporary: temporary.write_text(text, encoding="utf-8"),
                          overwrite=overwrite)
