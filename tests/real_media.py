"""Real footage for tests: files from Debian's ``opencv-doc`` package, fetched with apt-get.

Nothing here is committed: ``.ci/run`` (or the first test that asks) runs ``apt-get download``
into ``test-artifacts/real-media`` and unpacks it there. Where that is impossible (no apt, no
network to the Debian mirror) the tests that need real footage are skipped with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MEDIA_DIR = REPO / "test-artifacts" / "real-media"
OPENCV_DATA = "usr/share/doc/opencv-doc/examples/data"


def _unpack(package: str) -> str:
    """Download and unpack ``package`` into MEDIA_DIR; an empty string, or why it failed."""
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        return "apt-get/dpkg not available"
    MEDIA_DIR.mkdir(parents=True, exist_ok=True)
    download = subprocess.run(
        ["apt-get", "download", package], cwd=MEDIA_DIR, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    debs = sorted(MEDIA_DIR.glob(f"{package}_*.deb"))
    if download.returncode != 0 or not debs:
        return f"apt-get download {package} failed: {download.stderr.strip()[-200:]}"
    unpack = subprocess.run(
        ["dpkg", "-x", str(debs[-1]), str(MEDIA_DIR)], capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    if unpack.returncode != 0:
        return f"dpkg -x failed: {unpack.stderr.strip()[-200:]}"
    debs[-1].unlink()
    return ""


def opencv_data_file(name: str) -> Path:
    """A file of opencv-doc's examples data (``vtest.avi``, ``messi5.jpg`` …), or skip the test."""
    path = MEDIA_DIR / OPENCV_DATA / name
    if not path.is_file():
        why = _unpack("opencv-doc")
        if why or not path.is_file():
            pytest.skip(f"real footage {name} unavailable: {why or 'not in opencv-doc'}")
    return path
