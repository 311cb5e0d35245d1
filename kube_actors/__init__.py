"""kube-actors: the Kubernetes control plane re-built in Python as async actors.

Layers, lowest first: ``runtime`` (actors, clock) -> ``api`` (typed objects) -> ``store``
(API server) -> framework (client, informers, workqueue, controllers) -> components ->
``cluster`` -> ``cli``. A layer imports only the layers below it.
"""

__version__ = "0.1.0"
