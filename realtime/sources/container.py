"""Is this file a video container? Decided from its first bytes, before FFmpeg opens it.

FFmpeg opens far more than video files, whatever the name: a text playlist (ffconcat, m3u/HLS,
SDP) called ``something.mp4`` is followed to the files it lists, other local files or itself
(a self-listing ffconcat file played for ever with memory growing). So only files that start
the way a real video container starts are handed to FFmpeg.
"""

from __future__ import annotations

from pathlib import Path

from .base import SourceError

HEAD_BYTES = 512

# MP4/MOV/3GP: the first box's type (QuickTime files may start with any of these top-level boxes).
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")
_ASF = bytes.fromhex("3026b2758e66cf11")

# Text formats FFmpeg would follow; named in the message so the user knows what they gave.
_TEXT_KINDS = ((b"ffconcat", "an ffconcat playlist"), (b"#EXTM3U", "an m3u/HLS playlist"),
               (b"v=0", "an SDP stream description"), (b"[playlist]", "a PLS playlist"),
               (b"<?xml", "an XML file (a DASH or SMIL playlist?)"))


def container_of(head: bytes) -> str | None:
    """The container a file starting with ``head`` is, or None when it is none we accept."""
    if head[4:8] in _MP4_BOXES:
        return "mp4/mov"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska/webm"
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
        return "avi"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "mpeg-ts"
    if len(head) > 196 and head[4] == 0x47 and head[196] == 0x47:
        return "mpeg-ts (m2ts)"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "mpeg-ps"
    if head[:3] == b"FLV":
        return "flv"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:8] == _ASF:
        return "asf/wmv"
    if head[:9] == b"YUV4MPEG2":
        return "y4m"
    return None


def _what_it_is(head: bytes) -> str:
    if not head:
        return "the file is empty"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for prefix, kind in _TEXT_KINDS:
        if stripped.startswith(prefix):
            return f"it is {kind}"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "its first bytes are no known video container"
    return "it is a text file"


def check_container(path: Path) -> str:
    """The container of the video file at ``path``; SourceError (one line) if it is not one."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        raise SourceError(f"cannot read video {path}: {exc.strerror or exc}") from None
    kind = container_of(head)
    if kind is None:
        raise SourceError(f"cannot read video {path}: not a video file ({_what_it_is(head)}); give a "
                          "video such as mp4, mov, mkv, webm or avi")
    return kind
