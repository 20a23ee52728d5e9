"""vision.image_input: a data-URL PNG in an image_url part is accepted and its colour named."""

from __future__ import annotations

import base64
import random
import re

from conformance.context import CheckContext
from conformance.judge import content_of, require_completion
from conformance.png import solid_png
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, failed, passed, warned

from ..shared import prompt_tokens

COLOURS = {"red": (220, 20, 20), "green": (20, 180, 20), "blue": (20, 40, 220)}
QUESTION = "What colour is this image? Answer with one word."


def names_colour(reply: str, colour: str) -> bool:
    """The reply names ``colour`` as a word ("Red.", "**blue**", "greenish"), not inside another
    word: "shared" and "colored" contain "red", and a model that never saw the image says them."""
    stem = colour[:-1] if colour.endswith("e") else colour  # blue → "bluish"
    return re.search(rf"\b(?:{colour}(?:ish)?|{stem}d?ish)\b", reply, re.IGNORECASE) is not None


@check(
    "vision.image_input", "A data-URL PNG in an image_url part is accepted and its colour named",
    measures=Measures.MODEL, needs=("vision",),
    reasons=("pass/recognised", "fail/image_and_text_dropped", "fail/image_dropped", "warn/not_recognised"),
)
async def vision_image_input(ctx: CheckContext) -> Outcome:
    colour = random.choice(sorted(COLOURS))
    data_url = "data:image/png;base64," + base64.b64encode(solid_png(COLOURS[colour], size=64)).decode()
    content = [{"type": "text", "text": QUESTION}, {"type": "image_url", "image_url": {"url": data_url}}]
    body = ctx.chat_body([{"role": "user", "content": content}], model=ctx.vision_model)
    result = await ctx.post_chat(f"image input ({colour} square)", body)
    completion = require_completion(ctx, result, "an image_url content part")
    reply = content_of(completion)
    if names_colour(reply, colour):
        return passed("recognised", f"the image was accepted and its colour named ({colour})")
    text_only = await ctx.post_chat("same question without the image", ctx.chat_body(QUESTION, model=ctx.vision_model))
    with_image, without = prompt_tokens(completion), prompt_tokens(text_only.json) if text_only.ok else None
    if with_image is not None and without is not None and with_image < without:
        # Fewer tokens than the text alone: the text part beside the image was lost too.
        return failed(
            "image_and_text_dropped",
            f"the image part appears dropped, and the text beside it too: prompt_tokens {with_image} with the "
            f"[text, image] content array, {without} for the same text alone",
        )
    if with_image is not None and without is not None and with_image <= without:
        return failed("image_dropped", f"the image part appears dropped: prompt_tokens {with_image} with it, {without} without it")
    return warned("not_recognised", f"the image was accepted but the model did not name its colour ({colour}): {excerpt(reply, 80)!r}")
