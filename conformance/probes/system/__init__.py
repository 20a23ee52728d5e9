"""Instructions: the system message, and its newer name developer, are followed (canary word)."""

from .developer_role import system_developer_role
from .role import system_role

CHECKS = (system_role, system_developer_role)
