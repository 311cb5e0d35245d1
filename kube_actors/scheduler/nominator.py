"""The pods nominated to nodes (upstream ``PodNominator``): room held for preemptors.

A pod that preempted is *nominated* to the node where its victims are going away. Until it is
scheduled (or deleted, or its nomination is cleared), every scheduling cycle of a pod with the
same or lower priority counts it on that node, as if it were already there, so the room its
victims free is not taken by others (upstream ``RunFilterPluginsWithNominatedPods``);
preemption's dry run counts it too.
"""

from __future__ import annotations

from kube_actors.api import Pod

__all__ = ["Nominator", "pod_priority"]


def pod_priority(pod: Pod) -> int:
    """``spec.priority``, 0 when unset (upstream ``corev1helpers.PodPriority``).

    >>> from kube_actors.api import PodSpec
    >>> pod_priority(Pod(spec=PodSpec(priority=7))), pod_priority(Pod())
    (7, 0)
    """
    return pod.spec.priority or 0


def _key(pod: Pod) -> str:
    meta = pod.metadata
    return meta.uid or f"{meta.namespace}/{meta.name}"


class Nominator:
    """Nominated pods by node.

    >>> from kube_actors.api import ObjectMeta, PodSpec
    >>> n = Nominator()
    >>> vip = Pod(metadata=ObjectMeta(name="vip", uid="u1"), spec=PodSpec(priority=10))
    >>> n.add(vip, "node-a")
    >>> [p.metadata.name for p in n.on("node-a")], n.node_of(vip)
    (['vip'], 'node-a')
    >>> low = Pod(metadata=ObjectMeta(name="low", uid="u2"))
    >>> {node: [p.metadata.name for p in pods] for node, pods in n.reserved_for(low).items()}
    {'node-a': ['vip']}
    >>> n.reserved_for(vip)  # a pod never makes room for itself
    {}
    >>> n.remove(vip); len(n)
    0
    """

    def __init__(self) -> None:
        self._by_node: dict[str, dict[str, Pod]] = {}
        self._node: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._node)

    def add(self, pod: Pod, node: str) -> None:
        """Nominate ``pod`` to ``node`` (moving it if it was nominated elsewhere)."""
        self.remove(pod)
        key = _key(pod)
        self._node[key] = node
        self._by_node.setdefault(node, {})[key] = pod

    def remove(self, pod: Pod) -> None:
        """Forget ``pod``'s nomination, if any (it was scheduled, deleted or cleared)."""
        key = _key(pod)
        node = self._node.pop(key, None)
        if node is None:
            return
        pods = self._by_node[node]
        del pods[key]
        if not pods:
            del self._by_node[node]

    def update(self, pod: Pod, old: Pod | None = None) -> None:
        """A newer version of a pending pod (``old``: the one before): keep its nomination
        current (upstream ``updateNominatedPod``).

        A nomination written in its status wins. A status that drops one (``old`` had it)
        clears it. A status that never had one keeps the nomination held here (the status
        update saying so may not have arrived yet), with the newer pod.
        """
        written = pod.status.nominated_node_name
        if written:
            if self._node.get(_key(pod)) != written or not self._same(pod):
                self.add(pod, written)
            return
        if old is not None and old.status.nominated_node_name:
            self.remove(pod)
            return
        node = self._node.get(_key(pod))
        if node is not None:
            self._by_node[node][_key(pod)] = pod

    def _same(self, pod: Pod) -> bool:
        key = _key(pod)
        node = self._node.get(key)
        return node is not None and self._by_node[node].get(key) is pod

    def node_of(self, pod: Pod) -> str | None:
        """The node ``pod`` is nominated to, if any."""
        return self._node.get(_key(pod))

    def on(self, node: str) -> tuple[Pod, ...]:
        """The pods nominated to ``node``."""
        pods = self._by_node.get(node)
        return tuple(pods.values()) if pods else ()

    def reserved_for(self, pod: Pod) -> dict[str, tuple[Pod, ...]]:
        """The nodes where room is held against ``pod``: by nominated pods other than it with
        the same or a higher priority (upstream ``addNominatedPods``)."""
        if not self._node:
            return {}
        priority = pod_priority(pod)
        key = _key(pod)
        out: dict[str, tuple[Pod, ...]] = {}
        for node, pods in self._by_node.items():
            held = tuple(p for k, p in pods.items() if k != key and pod_priority(p) >= priority)
            if held:
                out[node] = held
        return out

    def lower_priority_on(self, node: str, pod: Pod) -> tuple[Pod, ...]:
        """The pods nominated to ``node`` with a lower priority than ``pod`` (they lose their
        nomination when ``pod`` is nominated there, as upstream)."""
        priority = pod_priority(pod)
        return tuple(p for p in self.on(node) if pod_priority(p) < priority)
