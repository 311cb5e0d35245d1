"""The scheduling cycle over the scheduler cache: filter, score and select, fast.

:class:`Framework` runs one profile's plugins for one pod against a
:class:`~kube_actors.scheduler.cache.SchedulerCache`, the way kube-scheduler's
``schedulePod`` does: PreFilter, the nominated node first, Filter until enough feasible nodes
are found (``percentageOfNodesToScore``, starting where the previous cycle stopped), PostFilter
when none fits, PreScore, Score, NormalizeScore, and a seeded random pick among the top scores.

Every plugin can be evaluated in several ways, and the cycle picks the cheapest it offers:

- node-local (``local_key``): memoized per node and distinct key; each cycle recomputes only
  the nodes whose info (node or pods) changed since the last one, per node;
- vectorized (``filter_all`` / ``score_all`` / ``normalize_all``) over the cache's node table;
- node-static (``static_key``): evaluated per node once per distinct key and memoized until
  the node object changes;
- per node, the form every plugin has.

All of them give the same answers (``tests/scheduler/test_cycle.py`` checks the cycle against
:func:`~kube_actors.scheduler.explain.explain`, which uses only the per-node form).
"""

from __future__ import annotations

import functools
import random
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import cast, overload

import attrs
import numpy as np
import numpy.typing as npt

from kube_actors.api import Pod
from kube_actors.scheduler.cache import SchedulerCache
from kube_actors.scheduler.explain import (
    distinct_statuses,
    fit_error_message,
    num_feasible_nodes_to_find,
)
from kube_actors.scheduler.fast import (
    FilterAllPlugin,
    IntArray,
    NodeLocalPlugin,
    NodeStaticPlugin,
    NodeTable,
    NormalizeAllPlugin,
    ScoreAllPlugin,
)
from kube_actors.scheduler.framework import (
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    TOTAL_NODES_KEY,
    BindPlugin,
    Code,
    CycleState,
    FilterPlugin,
    PermitPlugin,
    Plugin,
    PostBindPlugin,
    PostFilterPlugin,
    PostFilterResult,
    PreBindPlugin,
    PreFilterPlugin,
    PreScorePlugin,
    ReservePlugin,
    ScorePlugin,
    Status,
    run_pre_filters,
)
from kube_actors.scheduler.handle import SnapshotHandle, run_filters
from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot
from kube_actors.scheduler.nominator import Nominator
from kube_actors.scheduler.plugins.whatif import (
    filters_read_node_info_only,
    seen_by_node_info_only,
)
from kube_actors.scheduler.profile import Profile

__all__ = ["Framework", "ScheduleResult"]

_SUCCESS = int(Code.SUCCESS)
_MEMO_SIZE = 256
#: Changed rows a node-local memo catches up one by one; more, and it recomputes in full.
_LOCAL_PATCH_LIMIT = 32


@attrs.frozen
class ScheduleResult:
    """The outcome of one scheduling cycle for one pod."""

    #: The selected node, or ``None`` when the pod does not fit anywhere.
    node: str | None
    #: The cycle state the plugins wrote (Reserve, Permit and binding read it).
    state: CycleState = attrs.field(eq=False, repr=False)
    #: How many nodes were examined and how many of them were feasible.
    evaluated: int = 0
    feasible: int = 0
    #: ``UNSCHEDULABLE``/``UNSCHEDULABLE_AND_UNRESOLVABLE``/``ERROR`` when ``node`` is ``None``.
    code: Code = Code.SUCCESS
    #: Upstream's FailedScheduling message (``0/5 nodes are available: ...``).
    message: str = ""
    #: The plugins that rejected the pod (what the queue waits for events of).
    unschedulable_plugins: frozenset[str] = frozenset()
    #: The PostFilter (preemption) proposal, if any.
    post_filter: PostFilterResult | None = None
    #: A PostFilter found nothing and said so with an empty nomination: the pod's nomination,
    #: if any, is to be cleared.
    clear_nomination: bool = False


@attrs.frozen
class _Plugins:
    pre_filter: tuple[PreFilterPlugin, ...]
    filter: tuple[FilterPlugin, ...]
    post_filter: tuple[PostFilterPlugin, ...]
    pre_score: tuple[PreScorePlugin, ...]
    score: tuple[tuple[ScorePlugin, int], ...]


class Framework:
    """One profile's scheduling cycle over a cache (see the module docstring)."""

    def __init__(
        self,
        profile: Profile,
        cache: SchedulerCache,
        rng: random.Random,
        *,
        percentage_of_nodes_to_score: int | None = None,
        nominator: Nominator | None = None,
    ) -> None:
        self.profile = profile
        self.cache = cache
        self.rng = rng
        #: The pods nominated to nodes, counted where they hold room (none when ``None``).
        self.nominator = nominator
        self.percentage = (
            profile.percentage_of_nodes_to_score
            if profile.percentage_of_nodes_to_score is not None
            else percentage_of_nodes_to_score
        )
        self._plugins = _Plugins(
            pre_filter=tuple(_typed(profile.at("preFilter"), PreFilterPlugin)),
            filter=tuple(_typed(profile.at("filter"), FilterPlugin)),
            post_filter=tuple(_typed(profile.at("postFilter"), PostFilterPlugin)),
            pre_score=tuple(_typed(profile.at("preScore"), PreScorePlugin)),
            score=tuple(
                (p, profile.weight(p.name)) for p in _typed(profile.at("score"), ScorePlugin)
            ),
        )
        #: The binding-cycle plugins, resolved once (protocol checks are slow per pod).
        self.reserve: tuple[ReservePlugin, ...] = tuple(
            _typed(profile.at("reserve"), ReservePlugin)
        )
        self.permit: tuple[PermitPlugin, ...] = tuple(_typed(profile.at("permit"), PermitPlugin))
        self.pre_bind: tuple[PreBindPlugin, ...] = tuple(
            _typed(profile.at("preBind"), PreBindPlugin)
        )
        self.bind: tuple[BindPlugin, ...] = tuple(_typed(profile.at("bind"), BindPlugin))
        self.post_bind: tuple[PostBindPlugin, ...] = tuple(
            _typed(profile.at("postBind"), PostBindPlugin)
        )
        self._vector_filter = {
            p.name for p in self._plugins.filter if isinstance(p, FilterAllPlugin)
        }
        self._static = {
            p.name
            for p in (*self._plugins.filter, *(s for s, _ in self._plugins.score))
            if isinstance(p, NodeStaticPlugin)
        }
        # The built-in plugins, whose normalized scores are known to stay within 0..100 (the
        # cycle checks everyone else's).
        self._trusted = {
            p.name
            for p, _ in self._plugins.score
            if type(p).__module__.startswith("kube_actors.scheduler.plugins.")
        }
        self._local = {
            p.name
            for p in (*self._plugins.filter, *(s for s, _ in self._plugins.score))
            if isinstance(p, NodeLocalPlugin)
        }
        # (plugin, kind, key) -> [layout, row tick, values]
        self._local_memo: OrderedDict[tuple[str, str, Hashable], list[object]] = OrderedDict()
        # The memo keys of the pod in the current cycle (plugins are asked once per pod).
        self._keys_pod: Pod | None = None
        self._keys: dict[tuple[str, bool], Hashable | None] = {}
        self._vector_score = {
            p.name for p, _ in self._plugins.score if isinstance(p, ScoreAllPlugin)
        }
        self._vector_normalize = {
            p.name for p, _ in self._plugins.score if isinstance(p, NormalizeAllPlugin)
        }
        # (plugin, "filter"/"score", key) -> (layout, node generation, node versions, values)
        self._memo: OrderedDict[tuple[str, str, Hashable], tuple[int, int, IntArray, IntArray]] = (
            OrderedDict()
        )
        self._next_start = 0
        self._interned: dict[Status, Status] = {}
        # node -> (its info, the nominated pods held there, the info with them added)
        self._with_held: dict[str, tuple[NodeInfo, tuple[Pod, ...], NodeInfo]] = {}

    # --- the cycle ------------------------------------------------------------------------

    def schedule(self, pod: Pod) -> ScheduleResult:
        """Run one scheduling cycle for ``pod``; the cache is not changed."""
        cache = self.cache
        n = len(cache)
        state = CycleState()
        state.write(TOTAL_NODES_KEY, n)
        if n == 0:
            return ScheduleResult(
                None,
                state,
                code=Code.UNSCHEDULABLE,
                message="0/0 nodes are available: no nodes available to schedule pods.",
            )
        snapshot = cache.snapshot()
        skipped, rejection = self._pre_filter(state, pod, snapshot)
        if rejection is not None:
            return self._failed(pod, state, snapshot, skipped, pre_filter=rejection)

        held = self.nominator.reserved_for(pod) if self.nominator is not None else {}
        nominated = pod.status.nominated_node_name or (
            self.nominator.node_of(pod) if self.nominator is not None else None
        )
        if nominated:
            info = cache.get(nominated)
            if (
                info is not None
                and self._status_with_held(
                    state, pod, snapshot, info, held.get(nominated, ()), skipped
                ).is_success
            ):
                # Upstream: a pod fitting its nominated node goes there without scoring.
                return ScheduleResult(nominated, state, evaluated=1, feasible=1)

        table = cache.table()
        codes = self._filter_codes(state, pod, table, snapshot, skipped)
        dynamic = self._dynamic_plugins(pod, skipped)
        held_rows = self._held_rows(state, pod, snapshot, held, skipped)
        rows, processed = self._find_feasible(
            state, pod, snapshot, list(codes.values()), dynamic, held_rows
        )
        if len(rows) == 0:
            self._next_start = 0
            return self._failed(pod, state, snapshot, skipped, codes=codes, held=held)
        self._next_start = (self._next_start + processed) % n
        if len(rows) == 1:
            return ScheduleResult(
                snapshot.by_row[int(rows[0])].name, state, evaluated=processed, feasible=1
            )
        totals = self._scores(state, pod, snapshot, table, rows)
        best = int(totals.max())
        ties = np.flatnonzero(totals == best)
        pick = int(ties[0]) if len(ties) == 1 else int(ties[self.rng.randrange(len(ties))])
        return ScheduleResult(
            snapshot.by_row[int(rows[pick])].name, state, evaluated=processed, feasible=len(rows)
        )

    def evaluate_all(self, pod: Pod) -> tuple[tuple[str, ...], dict[str, int]]:
        """Every feasible node and its total score, with no sampling (for tests and tools)."""
        n = len(self.cache)
        state = CycleState()
        state.write(TOTAL_NODES_KEY, n)
        snapshot = self.cache.snapshot()
        skipped, rejection = self._pre_filter(state, pod, snapshot)
        if rejection is not None:
            return (), {}
        table = self.cache.table()
        codes = self._filter_codes(state, pod, table, snapshot, skipped)
        held = self.nominator.reserved_for(pod) if self.nominator is not None else {}
        held_rows = self._held_rows(state, pod, snapshot, held, skipped)
        dynamic = self._dynamic_plugins(pod, skipped)
        keep = [
            r
            for r in np.flatnonzero(_passing(list(codes.values()), 0, n)).tolist()
            if _passes(dynamic, state, pod, snapshot.nodes[r])
            and (r not in held_rows or held_rows[r]().is_success)
        ]
        rows = np.array(keep, dtype=np.int64)
        names = tuple(snapshot.nodes[r].name for r in keep)
        if len(keep) <= 1:
            return names, {}
        totals = self._scores(state, pod, snapshot, table, rows)
        return names, dict(zip(names, totals.tolist(), strict=True))

    # --- filtering ------------------------------------------------------------------------

    def _pre_filter(
        self, state: CycleState, pod: Pod, snapshot: Snapshot
    ) -> tuple[set[str], Status | None]:
        """Run PreFilter: the plugins that skipped, and the rejection that ends the cycle."""
        return run_pre_filters(self._plugins.pre_filter, state, pod, snapshot)

    def _filter_codes(
        self,
        state: CycleState,
        pod: Pod,
        table: NodeTable,
        snapshot: Snapshot,
        skipped: set[str],
    ) -> dict[str, IntArray]:
        """The ``Code`` of every row from each filter that has a whole-cluster form (memoized
        or vectorized), by plugin in filter order; the rest are :meth:`_dynamic_plugins`.
        Rows are combined only as far as :meth:`_find_feasible` reads them."""
        arrays: dict[str, IntArray] = {}
        for plugin in self._plugins.filter:
            name = plugin.name
            if name in skipped:
                continue
            codes: IntArray | None = None
            if name in self._local:
                codes = self._local_values(state, pod, snapshot, table, plugin, "filter")
            if codes is None and name in self._static:
                codes = self._static_values(state, pod, snapshot, plugin, "filter")
            if codes is None and name in self._vector_filter:
                codes = cast(FilterAllPlugin, plugin).filter_all(state, pod, table)
            if codes is not None:
                arrays[name] = codes
        return arrays

    def _static_values(
        self, state: CycleState, pod: Pod, snapshot: Snapshot, plugin: Plugin, kind: str
    ) -> IntArray | None:
        key = self._memo_key(plugin, pod, static=True)
        if key is None:
            return None
        memo_key = (plugin.name, kind, key)
        layout = self.cache.layout
        generation = self.cache.node_generation
        entry = self._memo.get(memo_key)
        if entry is not None and entry[0] == layout and entry[1] == generation:
            return entry[3]  # no node object changed since: the common case
        versions = self.cache.node_versions()
        if entry is not None and entry[0] == layout:
            _, _, seen, values = entry
            stale = np.flatnonzero(seen != versions)
            self._memo.move_to_end(memo_key)
        else:
            seen = versions.copy()
            values = np.zeros(len(versions), dtype=np.int64)
            stale = np.arange(len(versions))
        if len(stale):
            _evaluate(plugin, kind, state, pod, snapshot.by_row, stale.tolist(), values)
            seen[stale] = versions[stale]
        self._memo[memo_key] = (layout, generation, seen, values)
        if len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)
        return values

    def _memo_key(self, plugin: Plugin, pod: Pod, *, static: bool) -> Hashable | None:
        """``plugin``'s ``static_key`` or ``local_key`` of ``pod``, computed once per pod."""
        if self._keys_pod is not pod:
            self._keys_pod = pod
            self._keys = {}
        keys = self._keys
        slot = (plugin.name, static)
        if slot in keys:
            return keys[slot]
        key = (
            cast(NodeStaticPlugin, plugin).static_key(pod)
            if static
            else cast(NodeLocalPlugin, plugin).local_key(pod)
        )
        keys[slot] = key
        return key

    def _local_values(
        self,
        state: CycleState,
        pod: Pod,
        snapshot: Snapshot,
        table: NodeTable,
        plugin: Plugin,
        kind: str,
    ) -> IntArray | None:
        """A node-local plugin's filter codes or raw scores for every row, from its memo
        caught up with the rows changed since; ``None`` when the pod has no key."""
        key = self._memo_key(plugin, pod, static=False)
        if key is None:
            return None
        cache = self.cache
        memo_key = (plugin.name, kind, key)
        entry = self._local_memo.get(memo_key)
        tick = cache.row_tick
        if entry is not None and entry[0] == cache.layout:
            changed = cache.rows_changed_since(cast(int, entry[1]))
            if changed is not None and len(changed) <= _LOCAL_PATCH_LIMIT:
                values = cast(IntArray, entry[2])
                if changed:
                    _evaluate(plugin, kind, state, pod, snapshot.by_row, set(changed), values)
                entry[1] = tick
                self._local_memo.move_to_end(memo_key)
                return values
        if kind == "filter" and plugin.name in self._vector_filter:
            values = cast(FilterAllPlugin, plugin).filter_all(state, pod, table).copy()
        elif kind == "score" and plugin.name in self._vector_score:
            values = cast(ScoreAllPlugin, plugin).score_all(state, pod, table).copy()
        else:
            values = np.zeros(len(snapshot), dtype=np.int64)
            rows = range(len(snapshot))
            _evaluate(plugin, kind, state, pod, snapshot.by_row, rows, values)
        self._local_memo[memo_key] = [cache.layout, tick, values]
        if len(self._local_memo) > _MEMO_SIZE:
            self._local_memo.popitem(last=False)
        return values

    def _local_statuses(self, pod: Pod, plugin: FilterPlugin) -> list[Status | None] | None:
        """A node-local filter's rejection of each row, filled in as the failure path asks
        (``None``: not asked since the row last changed); ``None`` when ``plugin`` has no
        key for ``pod``. Repeated failures (a pod retried, pods alike) then ask the plugin
        for its reasons only on the rows that changed, not on every node."""
        if plugin.name not in self._local:
            return None
        key = self._memo_key(plugin, pod, static=False)
        if key is None:
            return None
        cache = self.cache
        memo_key = (plugin.name, "status", key)
        entry = self._local_memo.get(memo_key)
        tick = cache.row_tick
        if entry is not None and entry[0] == cache.layout:
            changed = cache.rows_changed_since(cast(int, entry[1]))
            if changed is not None:
                statuses = cast(list[Status | None], entry[2])
                for row in changed:
                    statuses[row] = None
                entry[1] = tick
                self._local_memo.move_to_end(memo_key)
                return statuses
        fresh: list[Status | None] = [None] * len(cache)
        self._local_memo[memo_key] = [cache.layout, tick, fresh]
        if len(self._local_memo) > _MEMO_SIZE:
            self._local_memo.popitem(last=False)
        return fresh

    def _dynamic_plugins(self, pod: Pod, skipped: set[str]) -> tuple[FilterPlugin, ...]:
        """The filters the vector mask does not cover for ``pod``, in order."""
        out: list[FilterPlugin] = []
        for plugin in self._plugins.filter:
            name = plugin.name
            if name in skipped or name in self._vector_filter:
                continue
            if name in self._local and self._memo_key(plugin, pod, static=False) is not None:
                continue
            if name in self._static and self._memo_key(plugin, pod, static=True) is not None:
                continue
            out.append(plugin)
        return tuple(out)

    def _node_status(
        self, state: CycleState, pod: Pod, info: NodeInfo, skipped: set[str]
    ) -> Status:
        """Every (non-skipped) filter on one node, in order: the first rejection."""
        for plugin in self._plugins.filter:
            if plugin.name in skipped:
                continue
            status = plugin.filter(state, pod, info)
            if not status.is_success:
                return status.with_plugin(plugin.name)
        return Status.success()

    def _status_with_held(
        self,
        state: CycleState,
        pod: Pod,
        snapshot: Snapshot,
        info: NodeInfo,
        held: tuple[Pod, ...],
        skipped: set[str],
    ) -> Status:
        """Every filter on ``info`` with the nominated pods ``held`` there counted, then (if
        any) without them: the first rejection (upstream ``RunFilterPluginsWithNominatedPods``).

        When the filters see those pods through the node info only, the cycle's PreFilter
        state stays right, and passing with them implies passing without; otherwise PreFilter
        runs again over a snapshot holding them.
        """
        if not held:
            return self._node_status(state, pod, info, skipped)
        memo = self._with_held.get(info.name)
        if memo is not None and memo[0] is info and memo[1] == held:
            with_held = memo[2]
        else:
            with_held = info
            for p in held:
                with_held = with_held.with_pod(p)
            self._with_held[info.name] = (info, held, with_held)
        if filters_read_node_info_only(pod, self._plugins.filter, skipped) and all(
            seen_by_node_info_only(p) for p in held
        ):
            return self._node_status(state, pod, with_held, skipped)
        status = run_filters(
            self.profile,
            pod,
            with_held,
            snapshot.with_node(with_held),
            plugins=(self._plugins.pre_filter, self._plugins.filter),
        )
        if not status.is_success:
            return status
        return self._node_status(state, pod, info, skipped)

    def _held_rows(
        self,
        state: CycleState,
        pod: Pod,
        snapshot: Snapshot,
        held: Mapping[str, tuple[Pod, ...]],
        skipped: set[str],
    ) -> dict[int, Callable[[], Status]]:
        """By row, where nominated pods hold room against ``pod``: its status there with them
        counted, asked only of the rows the plain filters pass and the search reaches."""
        out: dict[int, Callable[[], Status]] = {}
        cache = self.cache
        for name, pods in held.items():
            info = cache.get(name)
            if info is not None:
                out[cache.row(name)] = functools.partial(
                    self._status_with_held, state, pod, snapshot, info, pods, skipped
                )
        return out

    def _find_feasible(
        self,
        state: CycleState,
        pod: Pod,
        snapshot: Snapshot,
        codes: Sequence[IntArray],
        dynamic: Sequence[FilterPlugin],
        held_rows: Mapping[int, Callable[[], Status]] | None = None,
    ) -> tuple[IntArray, int]:
        """Feasible rows in round-robin order from the last stop, and how many were examined.

        Rows are examined in growing chunks, so a cycle that finds its nodes early (the
        common case) touches about as many rows as it needs, not the whole cluster.
        ``held_rows``: the rows where nominated pods hold room, and the pod's status there
        with them counted.
        """
        n = len(snapshot)
        want = num_feasible_nodes_to_find(n, self.percentage)
        start = self._next_start % n
        found: list[IntArray] = []
        count = 0
        examined = 0
        chunk = max(64, want + want // 4)
        for low, high in ((start, n), (0, start)):
            a = low
            while a < high:
                b = min(high, a + chunk)
                chunk *= 2
                rows = np.flatnonzero(_passing(codes, a, b)) + a
                if held_rows:
                    rows = _without_held_misfits(rows, a, b, held_rows)
                need = want - count
                if dynamic:
                    # Per-node filters run row by row, and no further than needed.
                    kept: list[int] = []
                    nodes = snapshot.by_row
                    for r in rows.tolist():
                        if _passes(dynamic, state, pod, nodes[r]):
                            kept.append(r)
                            if len(kept) == need:
                                break
                    rows = np.array(kept, dtype=np.int64)
                if len(rows) >= need:
                    last = rows[:need]
                    found.append(last)
                    return np.concatenate(found), examined + int(last[-1]) - a + 1
                found.append(rows)
                count += len(rows)
                examined += b - a
                a = b
        return (np.concatenate(found) if found else np.zeros(0, dtype=np.int64)), n

    # --- failure --------------------------------------------------------------------------

    def _failed(
        self,
        pod: Pod,
        state: CycleState,
        snapshot: Snapshot,
        skipped: set[str],
        *,
        pre_filter: Status | None = None,
        codes: Mapping[str, IntArray] | None = None,
        held: Mapping[str, tuple[Pod, ...]] | None = None,
    ) -> ScheduleResult:
        n = len(snapshot)
        statuses: dict[str, Status] = {}
        if pre_filter is not None:
            # Upstream: a PreFilter rejection applies to every node.
            statuses = dict.fromkeys((info.name for info in snapshot.nodes), pre_filter)
        else:
            statuses = self._node_statuses(state, pod, snapshot, skipped, codes or {})
            # Where nominated pods hold room, the node is reported as it is with them.
            for name, pods in (held or {}).items():
                info = snapshot.get(name)
                if info is not None:
                    statuses[name] = self._status_with_held(
                        state, pod, snapshot, info, pods, skipped
                    )
        values = list(statuses.values())
        distinct = [s for s, _ in distinct_statuses(values)]
        plugins = frozenset(s.plugin for s in distinct if s.plugin)
        message = fit_error_message(n, values)
        code = (
            Code.UNSCHEDULABLE_AND_UNRESOLVABLE
            if all(s.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE for s in distinct)
            else Code.UNSCHEDULABLE
        )
        if any(s.code is Code.ERROR for s in distinct):
            code = Code.ERROR
        result: PostFilterResult | None = None
        clear = False
        if code is not Code.ERROR and self._plugins.post_filter:
            handle = SnapshotHandle(
                self.profile,
                snapshot,
                self.rng,
                plugins=(self._plugins.pre_filter, self._plugins.filter),
                nominated=held,
            )
            post_messages: list[str] = []
            for plugin in self._plugins.post_filter:
                proposal, post = plugin.post_filter(state, pod, statuses, handle)
                if post.is_success and proposal is not None:
                    result = proposal
                    break
                if proposal is not None and not proposal.nominated_node:
                    clear = True
                if post.message:
                    post_messages.append(post.message)
            if result is None and post_messages:
                message = f"{message} preemption: {' '.join(post_messages)}"
        return ScheduleResult(
            None,
            state,
            evaluated=n,
            code=code,
            message=message,
            unschedulable_plugins=plugins,
            post_filter=result,
            clear_nomination=clear and result is None,
        )

    def _node_statuses(
        self,
        state: CycleState,
        pod: Pod,
        snapshot: Snapshot,
        skipped: set[str],
        codes: Mapping[str, IntArray],
    ) -> dict[str, Status]:
        """Every node's :meth:`_node_status`, reading the whole-cluster ``codes``: a filter
        they show passing on a row is not asked again, and one they show rejecting it is asked
        only for its reasons. With every filter covered, each row's first rejecting filter is
        found for all rows at once."""
        nodes = snapshot.nodes
        filters = [p for p in self._plugins.filter if p.name not in skipped]
        success = Status.success()
        out: dict[str, Status] = {}
        if all(p.name in codes for p in filters):
            first = np.full(len(nodes), -1, dtype=np.int64)
            undecided = np.ones(len(nodes), dtype=np.bool_)
            for k, plugin in enumerate(filters):
                rejects = (codes[plugin.name] != _SUCCESS) & undecided
                first[rejects] = k
                undecided &= ~rejects
            memos: dict[int, list[Status | None] | None] = {}
            for row, (info, k) in enumerate(zip(nodes, first.tolist(), strict=True)):
                if k < 0:
                    out[info.name] = success
                    continue
                plugin = filters[k]
                if k not in memos:
                    memos[k] = self._local_statuses(pod, plugin)
                memo = memos[k]
                status = memo[row] if memo is not None else None
                if status is None:
                    status = plugin.filter(state, pod, info)
                    if status.is_success:  # forms disagree: ask all
                        out[info.name] = self._node_status(state, pod, info, skipped)
                        continue
                    status = status.with_plugin(plugin.name)
                    if memo is not None:
                        # Shared by every row rejected alike: the failure path counts
                        # distinct status objects, not rows.
                        if len(self._interned) > _MEMO_SIZE:
                            self._interned.clear()
                        status = self._interned.setdefault(status, status)
                        memo[row] = status
                out[info.name] = status
            return out
        for row, info in enumerate(nodes):
            status = success
            for plugin in filters:
                array = codes.get(plugin.name)
                if array is not None and array[row] == _SUCCESS:
                    continue
                status = plugin.filter(state, pod, info)
                if not status.is_success:
                    status = status.with_plugin(plugin.name)
                    break
            out[info.name] = status if not status.is_success else success
        return out

    # --- scoring --------------------------------------------------------------------------

    def _scores(
        self,
        state: CycleState,
        pod: Pod,
        snapshot: Snapshot,
        table: NodeTable,
        rows: IntArray,
    ) -> IntArray:
        infos: Sequence[NodeInfo] = _Rows(snapshot.by_row, rows)
        skipped: set[str] = set()
        for pre in self._plugins.pre_score:
            if pre.pre_score(state, pod, infos).is_skip:
                skipped.add(pre.name)
        totals = np.zeros(len(rows), dtype=np.int64)
        sub: NodeTable | None = None
        for plugin, weight in self._plugins.score:
            name = plugin.name
            if name in skipped:
                continue
            full: IntArray | None = None
            if name in self._local:
                full = self._local_values(state, pod, snapshot, table, plugin, "score")
            if full is None and name in self._static:
                full = self._static_values(state, pod, snapshot, plugin, "score")
            raw = full[rows] if full is not None else None
            if raw is None and name in self._vector_score:
                sub = sub if sub is not None else table.take(rows)
                raw = cast(ScoreAllPlugin, plugin).score_all(state, pod, sub)
            if raw is None:
                raw = np.array([plugin.score(state, pod, info) for info in infos], dtype=np.int64)
            if name in self._vector_normalize:
                normalized = cast(NormalizeAllPlugin, plugin).normalize_all(state, pod, raw)
            else:
                names = [info.name for info in infos]
                by_name = plugin.normalize_scores(
                    state, pod, dict(zip(names, raw.tolist(), strict=True))
                )
                normalized = np.array([by_name[x] for x in names], dtype=np.int64)
            if name not in self._trusted and (
                len(normalized)
                and (
                    int(normalized.min()) < MIN_NODE_SCORE or int(normalized.max()) > MAX_NODE_SCORE
                )
            ):
                raise ValueError(f"{name} normalized a score outside 0..100")
            totals += normalized if weight == 1 else normalized * weight
        return totals


class _Rows(Sequence[NodeInfo]):
    """The feasible nodes, by row, built only if a plugin walks them."""

    __slots__ = ("_nodes", "_rows")

    def __init__(self, nodes: Sequence[NodeInfo], rows: IntArray) -> None:
        self._nodes = nodes
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> NodeInfo: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[NodeInfo]: ...
    def __getitem__(self, index: int | slice) -> NodeInfo | Sequence[NodeInfo]:
        if isinstance(index, slice):
            return [self._nodes[r] for r in self._rows[index].tolist()]
        return self._nodes[int(self._rows[index])]

    def __iter__(self) -> Iterator[NodeInfo]:
        nodes = self._nodes
        return (nodes[r] for r in self._rows.tolist())


def _evaluate(
    plugin: Plugin,
    kind: str,
    state: CycleState,
    pod: Pod,
    nodes: Sequence[NodeInfo],
    rows: Iterable[int],
    values: IntArray,
) -> None:
    """Set ``values[row]`` to ``plugin``'s per-node filter code or score on each of ``rows``."""
    # Protocol isinstance checks are slow: bind the method once, outside the loop.
    if kind == "filter":
        check = cast(FilterPlugin, plugin).filter
        for row in rows:
            values[row] = int(check(state, pod, nodes[row]).code)
    else:
        score = cast(ScorePlugin, plugin).score
        for row in rows:
            values[row] = score(state, pod, nodes[row])


def _without_held_misfits(
    rows: IntArray, a: int, b: int, held_rows: Mapping[int, Callable[[], Status]]
) -> IntArray:
    """``rows`` (of ``a:b``) less the held rows where the pod does not fit after all."""
    for row, status in held_rows.items():
        if a <= row < b:
            present = rows == row
            if present.any() and not status().is_success:
                rows = rows[~present]
    return rows


def _passing(codes: Sequence[IntArray], a: int, b: int) -> npt.NDArray[np.bool_]:
    """Rows ``a:b`` that every array of ``codes`` passes (``Code.SUCCESS``)."""
    if not codes:
        return np.ones(b - a, dtype=np.bool_)
    ok: npt.NDArray[np.bool_] = codes[0][a:b] == _SUCCESS
    for array in codes[1:]:
        ok &= array[a:b] == _SUCCESS
    return ok


def _passes(plugins: Sequence[FilterPlugin], state: CycleState, pod: Pod, info: NodeInfo) -> bool:
    return all(plugin.filter(state, pod, info).is_success for plugin in plugins)


def _typed(plugins: Sequence[Plugin], protocol: type) -> list:  # type: ignore[type-arg]
    return [p for p in plugins if isinstance(p, protocol)]
