"""Vision: an image_url part (a data-URL PNG made in memory) is accepted and its colour recognised."""

from __future__ import annotations

import base64
import random
import re

from conformance.checks import check
from conformance.png import solid_png
from conformance.probe import Probe, content_of, excerpt, failed, passed, warned
from conformance.verdict import Measures

from .system import prompt_tokens

COLOURS = {"red": (220, 20, 20), "green": (20, 180, 20), "blue": (20, 40, 220)}
QUESTION = "What colour is this image? Answer with one word."


def names_colour(reply: str, colour: str) -> bool:
    """The reply names ``colour`` as a word ("Red.", "**blue**", "greenish"), not inside another
    word: "shared" and "colored" contain "red", and a model that never saw the image says them."""
    stem = colour[:-1] if colour.endswith("e") else colour  # blue → "bluish"
    return re.search(rf"\b(?:{colour}(?:ish)?|{stem}d?ish)\b", reply, re.IGNORECASE) is not None


@check("vision.image_input", "A data-URL PNG in an image_url part is accepted and its colour named",
       measures=Measures.MODEL, needs=("vision",))
async def vision_image_input(p: Probe):
    colour = random.choice(sorted(COLOURS))
    data_url = "data:image/png;base64," + base64.b64encode(solid_png(COLOURS[colour], size=64)).decode()
    content = [{"type": "text", "text": QUESTION}, {"type": "image_url", "image_url": {"url": data_url}}]
    body = p.chat_body([{"role": "user", "content": content}], model=p.vision_model)
    result = await p.post_chat(f"image input ({colour} square)", body)
    if refused := p.refusal(result, "an image_url content part"):
        return refused
    if problem := p.completion_problem(result, "image request"):
        return problem
    reply = content_of(result.json)
    if names_colour(reply, colour):
        return passed(f"the image was accepted and its colour named ({colour})")
    text_only = await p.post_chat("same question without the image", p.chat_body(QUESTION, model=p.vision_model))
    with_image, without = prompt_tokens(result.json), prompt_tokens(text_only.json) if text_only.ok else None
    if with_image is not None and without is not None and with_image < without:
        # Fewer tokens than the text alone: the text part beside the image was lost too.
        return failed(
            f"the image part appears dropped, and the text beside it too: prompt_tokens {with_image} with the "
            f"[text, image] content array, {without} for the same text alone"
        )
    if with_image is not None and without is not None and with_image <= without:
        return failed(f"the image part appears dropped: prompt_tokens {with_image} with it, {without} without it")
    return warned(f"the image was accepted but the model did not name its colour ({colour}): {excerpt(reply, 80)!r}")
