"""Access to the recorded real data served by the replay provider.

The data ships inside the package (``optionsintel/providers/replay_data/``) so replay
works from a clean clone with no network: ``nse/`` holds NSE option-chain responses,
``market/`` daily, 3-minute and 1-minute bars and NSE contract-wise option histories.
Files are stored gzip-compressed (``name.gz``); ``SHA256SUMS`` lists the digests of
the *uncompressed* originals and ``PROVENANCE.md`` where each file comes from.

A plain directory with the same layout (uncompressed, e.g. a checkout of the shared
data folder) can be used instead by passing ``data_dir``.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from optionsintel.providers.base import NoDataError

Subdir = Literal["nse", "market"]
PROVIDER = "replay"


def data_root(data_dir: str | Path | None = None) -> Traversable:
    """Root of the recorded data: ``data_dir`` when given, else the packaged copy.

    Raises
    ------
    NoDataError
        If ``data_dir`` does not exist.
    """
    if data_dir is None:
        return importlib.resources.files("optionsintel.providers").joinpath("replay_data")
    path = Path(data_dir)
    if not path.is_dir():
        raise NoDataError(f"replay data directory {path} does not exist", provider=PROVIDER)
    return path


def list_files(root: Traversable, subdir: Subdir) -> list[str]:
    """Sorted names (without ``.gz``) of the recorded files in ``root/subdir``."""
    folder = root.joinpath(subdir)
    if not folder.is_dir():
        return []
    names = {e.name.removesuffix(".gz") for e in folder.iterdir() if e.is_file()}
    return sorted(names)


def read_bytes(root: Traversable, subdir: Subdir, name: str) -> bytes:
    """Uncompressed bytes of one recorded file (``name`` or ``name.gz``).

    Raises
    ------
    NoDataError
        If neither form exists.
    """
    folder = root.joinpath(subdir)
    plain, packed = folder.joinpath(name), folder.joinpath(f"{name}.gz")
    if plain.is_file():
        return plain.read_bytes()
    if packed.is_file():
        return gzip.decompress(packed.read_bytes())
    raise NoDataError(f"recorded file {subdir}/{name} not found under {root}", provider=PROVIDER)


def verify_checksums(root: Traversable | None = None) -> dict[str, bool]:
    """Check every file listed in ``SHA256SUMS`` against its (uncompressed) bytes.

    Returns
    -------
    dict
        ``{"nse/<file>": True/False, ...}``; True when the digest matches.
    """
    root = root or data_root()
    result: dict[str, bool] = {}
    for line in root.joinpath("SHA256SUMS").read_text().splitlines():
        if not line.strip():
            continue
        digest, rel = line.split(maxsplit=1)
        subdir, name = rel.strip().split("/", 1)
        data = read_bytes(root, subdir, name)  # type: ignore[arg-type]
        result[rel.strip()] = hashlib.sha256(data).hexdigest() == digest
    return result
