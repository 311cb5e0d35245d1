"""The scheduling framework's vocabulary: status codes, cycle state and extension-point protocols.

A plugin is any object with a ``name`` that implements one or more of the small protocols
below; the profile finds out which extension points a plugin serves by checking them.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from kube_actors.api import Pod
from kube_actors.runtime import PluginRegistry

if TYPE_CHECKING:
    from kube_actors.client import Client
    from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot

__all__ = [
    "MAX_NODE_SCORE",
    "MIN_NODE_SCORE",
    "SCHEDULER_PLUGINS",
    "TOTAL_NODES_KEY",
    "BindPlugin",
    "Code",
    "CycleState",
    "EnqueueExtensions",
    "FrameworkHandle",
    "FilterPlugin",
    "Plugin",
    "PluginFactory",
    "PostBindPlugin",
    "PostFilterPlugin",
    "PostFilterResult",
    "PreBindPlugin",
    "PreEnqueuePlugin",
    "PreFilterPlugin",
    "PreScorePlugin",
    "PermitPlugin",
    "QueueSortPlugin",
    "QueuedPod",
    "ReservePlugin",
    "ScorePlugin",
    "Status",
    "default_normalize_score",
    "run_pre_filters",
]

#: The highest score a plugin may give a node after normalization.
MAX_NODE_SCORE = 100
#: The lowest score a plugin may give a node.
MIN_NODE_SCORE = 0
#: Cycle-state key of the cluster's node count (ImageLocality's spread needs the whole cluster).
TOTAL_NODES_KEY = "TotalNodes"


class Code(enum.IntEnum):
    """The outcome of one plugin call, as upstream's ``framework.Code``."""

    SUCCESS = 0
    #: An internal error: the pod is retried, never preempted for.
    ERROR = 1
    #: The node does not fit now; preemption might make it fit.
    UNSCHEDULABLE = 2
    #: The node does not fit and preemption cannot help (excluded from preemption).
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    #: Permit: hold the pod until another party allows or rejects it.
    WAIT = 4
    #: PreFilter/PreScore: this plugin's Filter/Score is not needed for this pod.
    SKIP = 5


@attrs.frozen
class Status:
    """A plugin's answer: a code, human readable reasons and the plugin that gave it.

    >>> Status.unschedulable("Insufficient cpu", plugin="NodeResourcesFit").message
    'Insufficient cpu'
    >>> Status().is_success
    True
    """

    code: Code = Code.SUCCESS
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @classmethod
    def success(cls, plugin: str = "") -> Status:
        """A successful status."""
        return cls(Code.SUCCESS, (), plugin)

    @classmethod
    def skip(cls, plugin: str = "") -> Status:
        """The plugin's later extension points are not needed for this pod."""
        return cls(Code.SKIP, (), plugin)

    @classmethod
    def error(cls, *reasons: str, plugin: str = "") -> Status:
        """An internal error."""
        return cls(Code.ERROR, reasons, plugin)

    @classmethod
    def unschedulable(cls, *reasons: str, plugin: str = "") -> Status:
        """The node does not fit; preemption may help."""
        return cls(Code.UNSCHEDULABLE, reasons, plugin)

    @classmethod
    def unresolvable(cls, *reasons: str, plugin: str = "") -> Status:
        """The node does not fit and preemption cannot help."""
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, reasons, plugin)

    @property
    def is_success(self) -> bool:
        """Whether the code is ``SUCCESS``."""
        return self.code is Code.SUCCESS

    @property
    def is_skip(self) -> bool:
        """Whether the code is ``SKIP``."""
        return self.code is Code.SKIP

    @property
    def is_rejected(self) -> bool:
        """Whether the pod was found not to fit (either unschedulable code)."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    @property
    def message(self) -> str:
        """The reasons joined the way upstream prints them."""
        return ", ".join(self.reasons)

    def with_plugin(self, plugin: str) -> Status:
        """This status attributed to ``plugin`` (itself when it already is)."""
        if self.plugin == plugin:
            return self
        return Status(self.code, self.reasons, plugin)


class CycleState:
    """Per-scheduling-cycle key/value store that plugins share (PreFilter writes, Filter reads).

    Deliberately mutable: it lives for one cycle and belongs to that cycle alone.

    >>> state = CycleState()
    >>> state.write("k", 1)
    >>> state.read("k"), state.read("missing")
    (1, None)
    """

    def __init__(self) -> None:
        self._data: dict[str, object] = {}

    def read(self, key: str) -> object | None:
        """The value stored under ``key``, or ``None``."""
        return self._data.get(key)

    def write(self, key: str, value: object) -> None:
        """Store ``value`` under ``key``, replacing any previous one."""
        self._data[key] = value

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        self._data.pop(key, None)


@attrs.frozen
class QueuedPod:
    """A pod waiting in the scheduling queue, with when it entered the queue."""

    pod: Pod
    timestamp: float = 0.0
    attempts: int = 0


@runtime_checkable
class Plugin(Protocol):
    """Every plugin has a name (the one it is registered and configured under)."""

    @property
    def name(self) -> str:
        """The plugin's registered name."""
        ...


@runtime_checkable
class PreEnqueuePlugin(Plugin, Protocol):
    """Gate: a pod enters the active queue only when every PreEnqueue plugin succeeds."""

    def pre_enqueue(self, pod: Pod) -> Status:
        """Whether ``pod`` may be queued now."""
        ...


@runtime_checkable
class QueueSortPlugin(Plugin, Protocol):
    """Orders the active queue."""

    def less(self, a: QueuedPod, b: QueuedPod) -> bool:
        """Whether ``a`` should be scheduled before ``b``."""
        ...


@runtime_checkable
class PreFilterPlugin(Plugin, Protocol):
    """Runs once per cycle before filtering; may precompute into the cycle state or Skip."""

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Precompute for ``pod``; ``SKIP`` turns this plugin's Filter off for the pod."""
        ...


@runtime_checkable
class FilterPlugin(Plugin, Protocol):
    """Decides whether a pod fits one node."""

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """``SUCCESS`` when ``pod`` fits ``node``."""
        ...


@attrs.frozen
class PostFilterResult:
    """What a PostFilter plugin (preemption) proposes: a node to nominate and pods to evict.

    The scheduler, not the plugin, writes ``status.nominatedNodeName`` and deletes the
    ``victims`` (gracefully) through the API.
    """

    nominated_node: str | None = None
    victims: tuple[Pod, ...] = ()


@runtime_checkable
class FrameworkHandle(Protocol):
    """What the framework lends plugins that must re-run other plugins (preemption).

    Upstream hands plugins a ``framework.Handle`` at construction; here the scheduler passes
    one to the call that needs it, so plugin factories stay ``args -> plugin``.
    """

    @property
    def snapshot(self) -> Snapshot:
        """The cycle's snapshot of every node and its pods."""
        ...

    @property
    def rng(self) -> random.Random:
        """The seeded random source (candidate offsets, tie-breaks)."""
        ...

    def run_filters(self, pod: Pod, node: NodeInfo, snapshot: Snapshot | None = None) -> Status:
        """Run PreFilter (against ``snapshot``, default the cycle's) and every Filter on
        ``node``; the first rejection or ``SUCCESS``.

        ``node`` may be a modified copy of a snapshot node (victims removed); pass a
        ``snapshot`` that holds it so plugins counting pods across nodes see the same world.
        """
        ...


@runtime_checkable
class PostFilterPlugin(Plugin, Protocol):
    """Runs when no node fits (preemption lives here)."""

    def post_filter(
        self,
        state: CycleState,
        pod: Pod,
        statuses: Mapping[str, Status],
        handle: FrameworkHandle,
    ) -> tuple[PostFilterResult | None, Status]:
        """Given each node's filter status, propose a nomination (or ``None``) and the outcome.

        ``SUCCESS`` with a result nominates; ``UNSCHEDULABLE`` says preemption cannot help.
        """
        ...


@runtime_checkable
class EnqueueExtensions(Plugin, Protocol):
    """Optional: the cluster events that may make a pod this plugin rejected schedulable."""

    def events_to_register(self) -> frozenset[str]:
        """Event labels (see ``queue.ClusterEvent``); ``"*"`` for every event."""
        ...


@runtime_checkable
class PreScorePlugin(Plugin, Protocol):
    """Runs once per cycle before scoring the feasible nodes."""

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        """Precompute for scoring; ``SKIP`` turns this plugin's Score off for the pod."""
        ...


@runtime_checkable
class ScorePlugin(Plugin, Protocol):
    """Ranks feasible nodes; raw scores are normalized to 0..100 afterwards."""

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """The raw score of ``node`` for ``pod``."""
        ...

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """Map raw scores (by node name) into ``MIN_NODE_SCORE..MAX_NODE_SCORE``."""
        ...


@runtime_checkable
class ReservePlugin(Plugin, Protocol):
    """Claims per-node resources for the assumed pod; undone on a later failure."""

    def reserve(self, state: CycleState, pod: Pod, node_name: str) -> Status:
        """Reserve what ``pod`` needs on ``node_name``."""
        ...

    def unreserve(self, state: CycleState, pod: Pod, node_name: str) -> None:
        """Undo :meth:`reserve`; must be idempotent."""
        ...


@runtime_checkable
class PermitPlugin(Plugin, Protocol):
    """Approves, rejects or holds (``WAIT``) the pod before binding."""

    def permit(self, state: CycleState, pod: Pod, node_name: str) -> tuple[Status, float]:
        """The decision and, for ``WAIT``, the timeout in seconds."""
        ...


@runtime_checkable
class PreBindPlugin(Plugin, Protocol):
    """Prepares the node before binding (for example binds volumes) through the API."""

    async def pre_bind(self, client: Client, state: CycleState, pod: Pod, node_name: str) -> Status:
        """Prepare; a failure sends the pod back to the queue."""
        ...


@runtime_checkable
class BindPlugin(Plugin, Protocol):
    """Writes the binding through the API; ``SKIP`` hands it to the next binder."""

    async def bind(self, client: Client, state: CycleState, pod: Pod, node_name: str) -> Status:
        """Bind ``pod`` to ``node_name``."""
        ...


@runtime_checkable
class PostBindPlugin(Plugin, Protocol):
    """Informational: runs after a successful bind."""

    def post_bind(self, state: CycleState, pod: Pod, node_name: str) -> None:
        """Observe the binding."""
        ...


#: Builds a plugin from its ``pluginConfig`` args (an empty mapping when none are given).
PluginFactory = Callable[[Mapping[str, Any]], Plugin]

#: Plugins by name; installed distributions add more through the entry point group.
SCHEDULER_PLUGINS: PluginRegistry[PluginFactory] = PluginRegistry(
    "kube_actors.scheduler_plugins", "scheduler plugin"
)


def default_normalize_score(scores: Mapping[str, int], *, reverse: bool = False) -> dict[str, int]:
    """Upstream's ``DefaultNormalizeScore``: scale to 0..100 by the maximum, optionally reversed.

    >>> default_normalize_score({"a": 2, "b": 4})
    {'a': 50, 'b': 100}
    >>> default_normalize_score({"a": 0, "b": 0}, reverse=True)
    {'a': 100, 'b': 100}
    >>> default_normalize_score({"a": 1, "b": 0}, reverse=True)
    {'a': 0, 'b': 100}
    """
    top = max(scores.values(), default=0)
    if top == 0:
        return dict.fromkeys(scores, MAX_NODE_SCORE if reverse else 0)
    out: dict[str, int] = {}
    for name, raw in scores.items():
        scaled = MAX_NODE_SCORE * raw // top
        out[name] = MAX_NODE_SCORE - scaled if reverse else scaled
    return out


def run_pre_filters(
    pre_filters: Iterable[PreFilterPlugin], state: CycleState, pod: Pod, snapshot: Snapshot
) -> tuple[set[str], Status | None]:
    """Run PreFilter in order: the plugins that skipped, and the first rejection (attributed
    to its plugin; the later plugins are not run) or ``None``."""
    skipped: set[str] = set()
    for pre in pre_filters:
        status = pre.pre_filter(state, pod, snapshot)
        if status.is_skip:
            skipped.add(pre.name)
        elif not status.is_success:
            return skipped, status.with_plugin(pre.name)
    return skipped, None
