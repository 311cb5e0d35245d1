"""Named registries for extension points, filled in code or from package entry points."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

__all__ = ["PluginRegistry", "UnknownPlugin"]

T = TypeVar("T")


class UnknownPlugin(LookupError):
    """A name no plugin was registered under (in code or through an entry point)."""

    def __init__(self, what: str, name: str, known: list[str]) -> None:
        super().__init__(what, name, known)
        self.what = what
        self.name = name
        self.known = known

    def __str__(self) -> str:
        listed = ", ".join(self.known) or "none"
        return f"no {self.what} named {self.name!r} (known: {listed})"


class PluginRegistry(Generic[T]):
    """Plugins of one extension point by name.

    Code registers with :meth:`register`; installed distributions declare an entry point in
    ``group`` whose object is the plugin (a class or factory). Entry points are read once, on
    the first lookup, and never override a name registered in code.

    >>> registry: PluginRegistry[type] = PluginRegistry("kube_actors.example", "example plugin")
    >>> registry.register("int", int)
    >>> registry.get("int")
    <class 'int'>
    """

    def __init__(self, group: str, what: str) -> None:
        #: The entry point group installed plugins are declared in.
        self.group = group
        self._what = what
        self._plugins: dict[str, T] = {}
        self._loaded = False

    def register(self, name: str, plugin: T, *, replace: bool = False) -> None:
        """Add ``plugin`` as ``name``; ``ValueError`` if the name is taken, unless ``replace``."""
        if not replace and name in self._plugins and self._plugins[name] is not plugin:
            raise ValueError(f"a {self._what} named {name!r} is already registered")
        self._plugins[name] = plugin

    def get(self, name: str) -> T:
        """The plugin registered as ``name``; :class:`UnknownPlugin` if there is none."""
        self._load_entry_points()
        try:
            return self._plugins[name]
        except KeyError:
            raise UnknownPlugin(self._what, name, sorted(self._plugins)) from None

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        self._load_entry_points()
        return sorted(self._plugins)

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._plugins

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _load_entry_points(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for entry in entry_points(group=self.group):
            if entry.name not in self._plugins:
                self._plugins[entry.name] = entry.load()
