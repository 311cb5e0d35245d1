"""Field paths as users read them: ``spec.containers[0].resources.requests.cpu``."""

from __future__ import annotations

import functools
import re

_SIMPLE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@functools.lru_cache(maxsize=16384)
def join(path: str, segment: str | int) -> str:
    """Append a field name, list index or map key to ``path``.

    Map keys that are plain words join with a dot (``requests.cpu``); others are bracketed
    (``labels[app.kubernetes.io/name]``) so the path stays unambiguous. Validation builds the
    same paths for every object, so results are cached.

    >>> join(join("spec", "containers"), 0)
    'spec.containers[0]'
    >>> join("metadata.labels", "app.kubernetes.io/name")
    'metadata.labels[app.kubernetes.io/name]'
    """
    if isinstance(segment, int):
        return f"{path}[{segment}]"
    if _SIMPLE_KEY.match(segment):
        return f"{path}.{segment}" if path else segment
    return f"{path}[{segment}]"
