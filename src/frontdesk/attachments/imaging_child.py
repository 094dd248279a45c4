"""The image decoder's own process: ``python -m frontdesk.attachments.imaging_child [limits] <in> <out>``.

Image decoders are large C libraries fed untrusted bytes, and a small file can claim a huge picture. So
the decoding never happens in a serving or working process: :mod:`frontdesk.attachments.imaging` starts
this module with address-space, CPU-time and file-size limits (set here, first thing, before Pillow is
imported) and a wall clock of its own, and a crash, a limit or a kill only ever costs this process.

On success the thumbnail is written to ``<out>`` and one JSON line is printed:
``{"width": …, "height": …, "thumb_content_type": …}``, the width and height as the image is displayed
(after its EXIF orientation). On any failure the exit status is non-zero and nothing is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image

# The formats decoded at all; Pillow is not even asked to try its other plugins.
FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP")
# What Pillow calls the JPEG files it opens: a camera's multi-picture JPEG opens as MPO (its first picture).
JPEG_FORMATS = ("JPEG", "MPO")
THUMB_WIDTH = 250
JPEG_QUALITY = 82
OPAQUE = 255
EXIF_ORIENTATION = 0x0112
# How each EXIF orientation is undone (as ImageOps.exif_transpose does), by PIL.Image.Transpose name.
TRANSPOSITIONS = {
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}
# The orientations (5 to 8) whose display swaps width and height.
SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
EXIT_REJECTED = 2
# Grey pixels of 16 bits (a 16-bit PNG) or more, resampled as they are and scaled to 8 bits after.
DEEP_MODES = ("I;16", "I;16B", "I;16L", "I", "F")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="frontdesk.attachments.imaging_child")
    parser.add_argument("--memory-bytes", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--max-pixels", type=int, required=True)
    parser.add_argument("--max-output-bytes", type=int, default=64 * 1024 * 1024)
    parser.add_argument("source")
    parser.add_argument("target")
    args = parser.parse_args(argv)
    limit(args.memory_bytes, args.cpu_seconds, args.max_output_bytes)
    try:
        result = thumbnail(args.source, args.target, max_pixels=args.max_pixels)
    except Exception as error:  # Everything the bytes can make Pillow raise means "not a usable image".
        print(f"rejected: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_REJECTED
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


def limit(memory_bytes: int, cpu_seconds: int, max_output_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # The soft limit sends SIGXCPU, the hard one a second later SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_output_bytes, max_output_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Background work: leave the CPUs to the processes answering requests.
    os.nice(10)


def thumbnail(source: str, target: str, *, max_pixels: int) -> dict[str, Any]:
    from PIL import Image as pillow

    pillow.MAX_IMAGE_PIXELS = max_pixels
    # Past MAX_IMAGE_PIXELS Pillow only warns (it raises past twice that): a warning is a refusal here.
    warnings.simplefilter("error", pillow.DecompressionBombWarning)

    with pillow.open(source, formats=FORMATS) as image:
        if image.format not in (*FORMATS, *JPEG_FORMATS):
            raise ValueError(f"unsupported format {image.format}")
        orientation = exif_orientation(image)
        transposition = TRANSPOSITIONS.get(orientation)
        swapped = orientation in SWAPPING_ORIENTATIONS
        stored_width, stored_height = image.size
        width, height = (stored_height, stored_width) if swapped else (stored_width, stored_height)
        if width < 1 or height < 1:
            raise ValueError("empty image")
        # Chatwoot's resize_to_fill [250, nil]: 250 wide, the height in proportion, never enlarged.
        thumb_width = min(THUMB_WIDTH, width)
        thumb_height = max(1, round(height * thumb_width / width))
        # The size to scale the stored (unrotated) pixels to; the small result is turned afterwards.
        scaled = (thumb_height, thumb_width) if swapped else (thumb_width, thumb_height)
        if image.format in JPEG_FORMATS:
            # libjpeg decodes straight to 1/2, 1/4 or 1/8 of the size: a 40 MP photo never sits whole.
            image.draft(image.mode, scaled)
        # An animated GIF or WebP is at its first frame here; load() decodes only that one.
        image.load()
        small = resize(widen(image), scaled)
    if transposition is not None:
        small = small.transpose(pillow.Transpose[transposition])
    small = shallow(small)
    if small.size != (thumb_width, thumb_height):
        raise ValueError(f"thumbnail came out {small.size}, not {(thumb_width, thumb_height)}")
    if is_transparent(small):
        small.convert("RGBA").save(target, "PNG", optimize=True)
        content_type = "image/png"
    else:
        small.convert("RGB").save(target, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        content_type = "image/jpeg"
    return {"width": width, "height": height, "thumb_content_type": content_type}


def exif_orientation(image: Image) -> int:
    """The EXIF orientation (1, as stored, when there is none or it cannot be read)."""
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # A broken EXIF block leaves the picture itself usable.
        return 1
    return orientation if isinstance(orientation, int) and orientation in range(1, 9) else 1


def widen(image: Image) -> Image:
    """The image in a mode that resamples smoothly and keeps its transparency."""
    transparent = "transparency" in image.info
    if image.mode in ("RGBA", "LA", "RGB", "L", "CMYK", "YCbCr", *DEEP_MODES) and not transparent:
        return image
    # Palette and bilevel pixels only resample as nearest neighbour; a transparency key needs an alpha.
    if image.mode in ("PA", "LA", "RGBA", "La", "RGBa") or transparent:
        return image.convert("RGBA")
    return image.convert("RGB")


def shallow(image: Image) -> Image:
    """16-bit (and deeper) greys brought to 8 bits by scale; Pillow's own conversion would clip them."""
    if image.mode not in DEEP_MODES:
        return image
    if image.mode != "F":
        image = image.convert("I")
    return image.point(lambda value: value / 256).convert("L")


def resize(image: Image, size: tuple[int, int]) -> Image:
    from PIL import Image as pillow

    if image.size == size:
        return image.copy()
    return image.resize(size, pillow.Resampling.LANCZOS, reducing_gap=3.0)


def is_transparent(image: Image) -> bool:
    """Whether any pixel is see-through (an RGBA WebP or PNG that is opaque throughout makes a JPEG)."""
    if image.mode not in ("RGBA", "LA"):
        return False
    lowest_alpha = image.getchannel("A").getextrema()[0]
    return isinstance(lowest_alpha, int) and lowest_alpha < OPAQUE


if __name__ == "__main__":
    sys.exit(main())
