"""Steps of `image_pipeline.flow`: simulated downloads, image analysis and the summary.

Downloads from `mirror.example.com` drop the connection on their first attempt (per URL, until
they succeed); every other download succeeds.
"""

import asyncio
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

_attempts: dict[str, int] = {}


@dataclass(frozen=True)
class ImageInfo:
    path: str
    category: str
    width: int
    height: int


@dataclass(frozen=True)
class ImageSummary:
    total: int
    categories: list[str]


def reset() -> None:
    """Forget the attempts counted so far."""
    _attempts.clear()


async def download_image(url: str) -> str:
    """Download one image; returns its local path."""
    parts = urlsplit(url)
    await asyncio.sleep(0.01)
    if parts.hostname == "mirror.example.com":
        _attempts[url] = _attempts.get(url, 0) + 1
        if _attempts[url] == 1:
            raise ConnectionError(f"connection to {parts.hostname} dropped")
        del _attempts[url]
    return f"/tmp/images/{posixpath.basename(parts.path)}"


async def process_image(path: str) -> ImageInfo:
    """Analyze one image: its category (from the file name) and size."""
    await asyncio.sleep(0.015)
    name = posixpath.basename(path)
    width, height = (512, 512) if name.endswith(".png") else (640, 480)
    return ImageInfo(path=path, category=name.split("_")[0], width=width, height=height)


async def aggregate_results(results: Sequence[ImageInfo]) -> ImageSummary:
    """The fan-in: how many images, and their categories."""
    await asyncio.sleep(0.001)
    return ImageSummary(total=len(results), categories=sorted({r.category for r in results}))
