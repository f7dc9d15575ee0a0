"""Checking and cleaning an uploaded clinical photo: plain functions over bytes (Pillow).

Nothing an uploader sends is trusted: not the content type, not the name. The bytes must be a
JPEG, PNG or HEIC image that Pillow reads whole, within ``MAX_BYTES`` and ``MAX_PIXELS`` (the
pixels are counted from the header, before anything is decoded), with nothing in it that a
browser could run as a page, and a name that ends as its format does. What is kept is not the
upload but its pixels, turned upright and encoded again: EXIF (GPS included), comments and any
bytes appended after the image are gone.
"""

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC, as iPhones take photos; the wheel carries libheif.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - the dependency is installed with the app
    HEIC_SUPPORTED = False

MAX_MEGABYTES = 20
MAX_BYTES = MAX_MEGABYTES * 1024 * 1024
MAX_MEGAPIXELS = 40
MAX_PIXELS = MAX_MEGAPIXELS * 1_000_000
# Pillow's own guard as well (it warns past this and refuses past twice this, before decoding),
# set here rather than left at its default of about 89 megapixels.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
THUMBNAIL_PIXELS = 320
JPEG_QUALITY = 90

# Pillow's name of each accepted format -> the file name endings it may have.
EXTENSIONS = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",), "HEIF": (".heic", ".heif")}
FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "HEIF": "HEIC"}
# How each accepted format is stored: a HEIC photo becomes a JPEG (every browser shows it).
STORED_AS = {"JPEG": "JPEG", "PNG": "PNG", "HEIF": "JPEG"}
STORED_EXTENSION = {"JPEG": ".jpg", "PNG": ".png"}
CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}

# What a browser would read as a page or a script if the bytes were ever served as HTML: an
# image with any of these inside (a "polyglot") is refused, not cleaned. Each is six bytes or
# more, so that the compressed pixels of a genuine photo match one by chance about once in a
# million photos, not once in a few thousand as "<svg" alone would.
MARKUP = (
    b"<!doctype",
    b"<html>",
    b"<html ",
    b"<head>",
    b"<body>",
    b"<body ",
    b"<script",
    b"</script",
    b"<iframe",
    b"<object",
    b"<embed ",
    b"onload=",
    b"onerror=",
    b"javascript:",
)
PNG_END = b"IEND\xaeB`\x82"  # the last chunk's type and its (fixed) checksum

EXIF_IFD = 0x8769
EXIF_DATE_TAKEN = 0x9003  # DateTimeOriginal
EXIF_DATE = 0x0132  # DateTime


TRUNCATED = (
    "The image is incomplete or damaged (the file may be cut short): take or export the "
    "photo again."
)


class PhotoRefused(ValueError):
    """The file is not a photo that may be stored; the message says why, in plain words."""


@dataclass(frozen=True)
class CleanPhoto:
    image: bytes
    thumbnail: bytes
    extension: str  # of both files: ".jpg" or ".png"
    width: int
    height: int
    sha256: str  # of ``image``
    taken_at: datetime | None  # the camera's own date (naive local time), if it gave one


def content_type_of(name: str) -> str:
    """The content type of a stored photo file, from the name this module gave it."""
    return CONTENT_TYPES[name[name.rfind(".") :].lower()]


def clean_photo(data: bytes, filename: str) -> CleanPhoto:
    """The stored form of an uploaded photo, or ``PhotoRefused`` saying what is wrong."""
    if not data:
        raise PhotoRefused("The file is empty: choose the photo again.")
    if len(data) > MAX_BYTES:
        raise PhotoRefused(
            f"The file is larger than {MAX_MEGABYTES} MB: export a smaller copy of the photo."
        )
    if any(marker in data.lower() for marker in MARKUP):
        raise PhotoRefused(
            "The file holds web page or script code as well as an image, so it was refused."
        )
    image = _open(data)
    _check_name(image.format, filename)
    if image.width * image.height > MAX_PIXELS:
        raise PhotoRefused(_too_many_pixels(image.width, image.height))
    if image.format == "PNG" and not data.rstrip(b"\0").endswith(PNG_END):
        raise PhotoRefused(
            "The file has data after the end of the image, or is cut short, so it was refused."
        )
    # Pillow's own check of a cut-short file is a global switch that WeasyPrint turns off
    # (ImageFile.LOAD_TRUNCATED_IMAGES): a JPEG is walked to its end marker here instead.
    if image.format == "JPEG" and not jpeg_is_complete(data):
        raise PhotoRefused(TRUNCATED)
    taken_at = _date_taken(image)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise PhotoRefused(TRUNCATED) from None
    stored_as = STORED_AS[image.format]
    upright = _pixels_only(ImageOps.exif_transpose(image), stored_as)
    icc_profile = image.info.get("icc_profile")
    stored = _encode(upright, stored_as, icc_profile)
    thumbnail = upright.copy()
    thumbnail.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    return CleanPhoto(
        image=stored,
        thumbnail=_encode(thumbnail, stored_as, icc_profile),
        extension=STORED_EXTENSION[stored_as],
        width=upright.width,
        height=upright.height,
        sha256=hashlib.sha256(stored).hexdigest(),
        taken_at=taken_at,
    )


def jpeg_is_complete(data: bytes) -> bool:
    """Whether a JPEG's segments run from its start marker to its end marker (EOI), whatever
    follows that (a phone's motion photo appends a video): a cut-short file never reaches it.

    Inside the compressed scan data a 0xFF byte is followed by 0x00 (stuffing), a restart
    marker or more 0xFF (fill), so the first other marker after it ends the scan.
    """
    position, size = 2, len(data)
    while position + 1 < size:
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
        elif marker == 0xD9:  # EOI
            return True
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            position += 2
        else:
            if position + 4 > size:
                return False
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
            if marker == 0xDA:  # start of scan: skip its compressed data
                position = _end_of_scan(data, position)
                if position < 0:
                    return False
    return False


def _end_of_scan(data: bytes, position: int) -> int:
    """Where the marker that ends a scan's compressed data starts; -1 if the data ends first."""
    while True:
        found = data.find(b"\xff", position)
        if found < 0 or found + 1 >= len(data):
            return -1
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            position = found + 1
        else:
            return found


def _open(data: bytes) -> Image.Image:
    """The image, its header read and its structure verified; no pixel decoded yet."""
    not_an_image = PhotoRefused(
        "This file is not a photo that can be read: upload a JPEG, PNG or HEIC image."
    )
    try:
        # Pillow reads the header only: past MAX_PIXELS it warns (and the caller refuses the
        # image, naming its size), past twice that it refuses at once.
        Image.open(io.BytesIO(data)).verify()
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise PhotoRefused(
            f"The image has more than {2 * MAX_MEGAPIXELS} megapixels; the limit is "
            f"{MAX_MEGAPIXELS} megapixels: export a smaller copy of the photo."
        ) from None
    except UnidentifiedImageError:
        raise not_an_image from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise PhotoRefused(TRUNCATED) from None
    if image.format not in EXTENSIONS:
        raise PhotoRefused(
            f"Only JPEG, PNG and HEIC photos are accepted; this file is {image.format}."
        )
    return image


def _too_many_pixels(width: int, height: int) -> str:
    megapixels = width * height / 1_000_000
    return (
        f"The image is {width} × {height} pixels ({megapixels:.0f} megapixels); the limit is "
        f"{MAX_MEGAPIXELS} megapixels: export a smaller copy of the photo."
    )


def _check_name(image_format: str, filename: str) -> None:
    name = filename.lower()
    endings = EXTENSIONS[image_format]
    if not name.endswith(endings):
        ending = name[name.rfind(".") :] if "." in name else "no extension"
        raise PhotoRefused(
            f"The file's name ends in {ending}, but it holds a {FORMAT_NAMES[image_format]} "
            f"image: a photo's name must end in {' or '.join(endings)}."
        )


def _date_taken(image: Image.Image) -> datetime | None:
    exif = image.getexif()
    stamp = exif.get_ifd(EXIF_IFD).get(EXIF_DATE_TAKEN) or exif.get(EXIF_DATE)
    try:
        return datetime.strptime(str(stamp).strip("\0 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _pixels_only(image: Image.Image, stored_as: str) -> Image.Image:
    """A new image made of the pixels alone: no metadata of the upload comes along."""
    if stored_as == "JPEG":
        image = image.convert("L" if image.mode in ("1", "L") else "RGB")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        has_alpha = image.mode in ("P", "PA") and "transparency" in image.info
        image = image.convert("RGBA" if has_alpha or "A" in image.mode else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, stored_as: str, icc_profile: bytes | None) -> bytes:
    out = io.BytesIO()
    # The colour profile is kept (it is not about the patient): colours show as taken.
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if stored_as == "JPEG":
        image.save(out, format="JPEG", quality=JPEG_QUALITY, **options)
    else:
        image.save(out, format="PNG", **options)
    return out.getvalue()
