"""What ``videolens demo`` analyses: real footage when this machine has some, else a generated clip.

Nothing real with people and speech can ship inside the package, but Debian and Ubuntu package
OpenCV's sample videos (``apt-get install opencv-doc``): ``Megamind.avi`` is an 11 s film clip
with two people talking. Where it is installed the demo analyses it; elsewhere it generates a
clip with known shots and on-screen words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from videolens.video.synthetic import write_clip

REAL_FOOTAGE = (Path("/usr/share/doc/opencv-doc/examples/data/Megamind.avi"),)


@dataclass(frozen=True)
class DemoVideo:
    path: Path
    about: str


def demo_video(data_dir: Path, candidates: tuple[Path, ...] = REAL_FOOTAGE) -> DemoVideo:
    """The real sample footage if one of ``candidates`` exists, else a clip generated once."""
    for candidate in candidates:
        if candidate.is_file():
            return DemoVideo(candidate, f"{candidate.name}, real footage with dialogue")
    clip = write_clip(data_dir / "demo" / "demo.mp4")
    return DemoVideo(
        clip.path,
        "a generated clip with on-screen words (for real footage with people and speech: "
        "apt-get install opencv-doc, then run the demo again)",
    )
