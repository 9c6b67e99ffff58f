"""How the service model's member names are spelled elsewhere: one place for each form.

A leaf module: the protocol (validation messages) and the engine (Python keyword
arguments) both read it.
"""

from __future__ import annotations

from functools import cache


@cache
def snake(name: str) -> str:
    """``IdentityPoolId`` -> ``identity_pool_id``: model names as Python names."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def camel(name: str) -> str:
    """``IdentityPoolId`` -> ``identityPoolId``: the form AWS uses for members in validation messages."""
    return name[:1].lower() + name[1:]
