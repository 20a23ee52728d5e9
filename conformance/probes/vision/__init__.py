"""Vision: an image_url part (a data-URL PNG made in memory) is accepted and its colour recognised."""

from .image_input import vision_image_input

CHECKS = (vision_image_input,)
