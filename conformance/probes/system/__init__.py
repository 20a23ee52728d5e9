"""System role: an instruction in the system message is followed (checked with a canary word)."""

from .role import system_role

CHECKS = (system_role,)
