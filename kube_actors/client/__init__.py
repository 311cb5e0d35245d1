"""Typed clients of an API server: the :class:`Client` protocol controllers use, and
:class:`LocalClient` for the in-process server.

>>> from kube_actors.api import ConfigMap, ObjectMeta
>>> from kube_actors.runtime import simulate
>>> from kube_actors.store import APIServer
>>> async def main() -> str:
...     client: Client = LocalClient(await APIServer.start())
...     await client.create(ConfigMap(metadata=ObjectMeta(name="cfg"), data={"k": "v"}))
...     return (await client.get(ConfigMap, "cfg", namespace="default")).data["k"]
>>> simulate(main, seed=1).value
'v'
"""

from kube_actors.client._client import Client, LocalClient, WatchStream

__all__ = ["Client", "LocalClient", "WatchStream"]
