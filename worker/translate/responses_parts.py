"""Responses content parts as an upstream that reads only text and images by URL can take them."""

from __future__ import annotations

from coderouter_supervisor.worker.protocol import InputImage, InputPart, InputText, OutputText


def readable_part(part: InputPart) -> str | InputImage | None:
    """The text of a text part; an image that has a URL (or data URI) as it is; a note in place of
    an uploaded file image, which such an upstream cannot fetch; None for any other part (files,
    audio, refusals), which it cannot take."""
    if isinstance(part, InputText | OutputText):
        return part.text
    if isinstance(part, InputImage):
        return part if part.image_url else f"[image file {part.file_id} not available to this model]"
    return None
