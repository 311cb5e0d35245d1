from __future__ import annotations

import attrs
import pytest

from kube_actors.api import PodSchedulingGate
from kube_actors.runtime import move_on_after, now, simulate, sleep, spawn
from kube_actors.scheduler import Status, default_profile
from kube_actors.scheduler.plugins import SchedulingGates
from kube_actors.scheduler.queue import (
    ClusterEvent,
    QueueClosed,
    QueueCounts,
    SchedulingQueue,
    backoff_duration,
    pod_key,
)
from tests.scheduler.builders import pod

FIT = "NodeResourcesFit"


def run(main):
    return simulate(main, seed=1).value


def counts(active=0, backoff=0, unschedulable=0, gated=0, in_flight=0):
    return QueueCounts(active, backoff, unschedulable, gated, in_flight)


def gated_pod(name="g", **spec):
    return pod(name, scheduling_gates=(PodSchedulingGate(name="example.com/wait"),), **spec)


async def fail(q, rejectors=(FIT,)):
    """Pop the head and report it unschedulable (rejected by ``rejectors``)."""
    info = await q.pop()
    assert q.add_unschedulable_if_not_present(info, rejectors)
    q.done(info.key)
    return info


def test_active_queue_orders_by_priority_then_enqueue_time():
    async def main():
        q = SchedulingQueue()
        for name, priority in [("low1", 0), ("high", 10), ("low2", 0), ("mid", 5), ("low3", 0)]:
            q.add(pod(name, priority=priority))
            await sleep(1)
        assert q.counts() == counts(active=5)
        assert [p.metadata.name for p in q.pending_pods()] == [
            "high",
            "mid",
            "low1",
            "low2",
            "low3",
        ]
        return [(await q.pop()).pod.metadata.name for _ in range(5)]

    assert run(main) == ["high", "mid", "low1", "low2", "low3"]


def test_custom_less_function():
    async def main():
        q = SchedulingQueue(less=lambda a, b: a.pod.metadata.name > b.pod.metadata.name)
        for name in ["b", "c", "a"]:
            q.add(pod(name, priority=int(name == "a") * 100))
        return [(await q.pop()).pod.metadata.name for _ in range(3)]

    assert run(main) == ["c", "b", "a"]


def test_update_in_active_queue_resorts():
    async def main():
        q = SchedulingQueue()
        q.add(pod("a"))
        q.add(pod("b"))
        q.update(pod("b"), pod("b", priority=100))
        assert q.counts() == counts(active=2)
        return [(await q.pop()).pod.metadata.name for _ in range(2)]

    assert run(main) == ["b", "a"]


def test_pop_blocks_until_a_pod_arrives():
    async def main():
        q = SchedulingQueue()

        async def later():
            await sleep(7)
            q.add(pod("p"))

        spawn(later())
        info = await q.pop()
        assert q.counts() == counts(in_flight=1)
        assert (info.attempts, info.scheduling_cycle, info.initial_attempt_timestamp) == (1, 1, 7)
        return now(), info.pod.metadata.name

    assert run(main) == (7, "p")


def test_pop_on_empty_queue_waits_forever_without_a_pod():
    async def main():
        q = SchedulingQueue()
        with move_on_after(60):
            await q.pop()
        return now(), q.scheduling_cycle

    assert run(main) == (60, 0)


def test_backoff_doubles_from_one_second_to_ten():
    async def main():
        q = SchedulingQueue()
        q.add(pod("p"))
        waits = []
        info = await q.pop()
        for _ in range(7):
            q.add_unschedulable_if_not_present(info, ())  # an error: straight to backoffQ
            q.done(info.key)
            assert q.counts() == counts(backoff=1)
            start = now()
            info = await q.pop()
            waits.append(now() - start)
        return waits, info.attempts

    assert run(main) == ([1, 2, 4, 8, 10, 10, 10], 8)


def test_backoff_duration():
    assert [backoff_duration(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert backoff_duration(0) == 0
    assert [backoff_duration(n, 0.5, 3) for n in range(1, 5)] == [0.5, 1, 2, 3]


def test_unschedulable_pod_waits_for_an_event():
    async def main():
        q = SchedulingQueue()
        q.add(pod("p"))
        await fail(q)
        assert q.counts() == counts(unschedulable=1)
        await sleep(60)
        assert q.counts() == counts(unschedulable=1)  # backoff long over, still waiting
        assert q.move_all_to_active_or_backoff(ClusterEvent.NODE_ADD) == 1
        assert q.counts() == counts(active=1)
        info = await q.pop()
        return now(), info.attempts, info.unschedulable_plugins

    assert run(main) == (60, 2, frozenset({FIT}))


def test_event_during_backoff_moves_pod_to_backoff_queue():
    async def main():
        q = SchedulingQueue()
        q.add(pod("p"))
        await fail(q)
        await sleep(0.25)
        q.move_all_to_active_or_backoff(ClusterEvent.NODE_UPDATE)
        assert q.counts() == counts(backoff=1)
        await q.pop()
        return now()

    assert run(main) == 1.0


def test_plugin_event_interest():
    async def main():
        q = SchedulingQueue(plugin_events={FIT: {"NodeAdd", "PodDelete"}, "Other": set()})
        q.add(pod("fit"))
        await fail(q, (FIT,))
        q.add(pod("other"))
        await fail(q, ("Other",))
        q.add(pod("unknown"))
        await fail(q, ("NotInMapping",))
        await sleep(30)
        seen = []
        for event in ["NodeUpdate", "PodDelete", "NodeUpdate"]:
            moved = q.move_all_to_active_or_backoff(event)
            seen.append((event, moved, q.counts().unschedulable))
        return seen

    assert run(main) == [("NodeUpdate", 1, 2), ("PodDelete", 1, 1), ("NodeUpdate", 0, 1)]


def test_pre_check_filters_moved_pods():
    async def main():
        q = SchedulingQueue()
        for name in ["a", "b"]:
            q.add(pod(name))
            await fail(q)
        await sleep(30)
        q.move_all_to_active_or_backoff(
            ClusterEvent.ASSIGNED_POD_ADD, pre_check=lambda p: p.metadata.name == "b"
        )
        return q.counts(), (await q.pop()).pod.metadata.name

    assert run(main) == (counts(active=1, unschedulable=1), "b")


def test_unschedulable_pods_are_flushed_after_five_minutes():
    async def main():
        q = SchedulingQueue(plugin_events={FIT: {"NodeAdd"}})
        q.add(pod("p"))
        await fail(q)
        await sleep(100)
        q.move_all_to_active_or_backoff(ClusterEvent.NODE_UPDATE)  # not interesting to FIT
        assert q.counts() == counts(unschedulable=1)
        info = await q.pop()
        return now(), info.pod.metadata.name

    assert run(main) == (300, "p")


def test_gated_pods_stay_out_until_updated():
    async def main():
        q = SchedulingQueue(pre_enqueue=[SchedulingGates()])
        q.add(gated_pod("g"))
        q.add(pod("free"))
        assert q.counts() == counts(active=1, gated=1)
        assert (await q.pop()).pod.metadata.name == "free"
        q.move_all_to_active_or_backoff(ClusterEvent.NODE_ADD)  # still gated
        q.update(gated_pod("g"), gated_pod("g"))  # no change
        await sleep(1000)  # never flushed
        assert q.counts() == counts(gated=1, in_flight=1)
        q.update(gated_pod("g"), pod("g"))  # gate removed
        assert q.counts() == counts(active=1, in_flight=1)
        info = await q.pop()
        return now(), info.pod.metadata.name, info.attempts

    assert run(main) == (1000, "g", 1)


class WaitForNode:
    name = "WaitForNode"

    def __init__(self):
        self.ready = False

    def pre_enqueue(self, p):
        return Status.success() if self.ready else Status.unresolvable("no node", plugin=self.name)


def test_gated_pod_released_by_an_event_its_plugin_cares_about():
    async def main():
        gate = WaitForNode()
        q = SchedulingQueue(pre_enqueue=[gate], plugin_events={"WaitForNode": {"NodeAdd"}})
        q.add(pod("p"))
        gate.ready = True
        q.move_all_to_active_or_backoff(ClusterEvent.POD_DELETE)  # not of interest
        before = q.counts()
        moved = q.move_all_to_active_or_backoff(ClusterEvent.NODE_ADD)
        return before, moved, (await q.pop()).attempts

    assert run(main) == (counts(gated=1), 1, 1)


def test_for_profile_uses_its_queue_sort_and_gates():
    async def main():
        q = SchedulingQueue.for_profile(default_profile())
        q.add(gated_pod("g"))
        q.add(pod("low"))
        q.add(pod("high", priority=9))
        return q.counts(), [(await q.pop()).pod.metadata.name for _ in range(2)]

    assert run(main) == (counts(active=2, gated=1), ["high", "low"])


def test_move_request_cycle_sends_failed_pod_to_backoff():
    async def main():
        q = SchedulingQueue()
        q.add(pod("a"))
        q.add(pod("b"))
        a = await q.pop()  # cycle 1
        q.move_all_to_active_or_backoff(ClusterEvent.NODE_ADD)  # while a is in flight
        assert q.add_unschedulable_if_not_present(a, (FIT,))
        q.done(a.key)
        after_a = q.counts()
        b = await q.pop()  # cycle 2, begun after the move request
        assert q.add_unschedulable_if_not_present(b, (FIT,))
        q.done(b.key)
        return a.scheduling_cycle, b.scheduling_cycle, q.move_request_cycle, after_a, q.counts()

    assert run(main) == (1, 2, 1, counts(backoff=1, active=1), counts(backoff=1, unschedulable=1))


def test_add_unschedulable_ignores_queued_and_deleted_pods():
    async def main():
        q = SchedulingQueue()
        q.add(pod("a"))
        a = await q.pop()
        q.update(None, pod("a", priority=1))  # updated while in flight: back in activeQ
        queued = q.add_unschedulable_if_not_present(a, (FIT,))
        q.done(a.key)
        a = await q.pop()
        q.delete(a.pod)  # deleted while in flight
        deleted = q.add_unschedulable_if_not_present(a, (FIT,))
        q.done(a.key)
        return queued, deleted, q.counts(), len(q)

    assert run(main) == (False, False, counts(), 0)


def test_delete_removes_from_every_queue():
    async def main():
        q = SchedulingQueue(pre_enqueue=[SchedulingGates()])
        q.add(pod("active"))
        q.add(pod("un"))
        q.add(pod("bo"))
        q.add(gated_pod("g"))
        await fail(q, (FIT,))  # "active" is popped first (same priority, enqueued first)
        await fail(q, ())  # then "un", to backoffQ; "bo" stays in activeQ
        before = q.counts()
        for name in ["active", "un", "bo"]:
            q.delete(pod(name))
        q.delete(gated_pod("g"))
        await sleep(400)  # timers of deleted pods do nothing
        return before, q.counts(), pod("bo") in q

    assert run(main) == (counts(active=1, backoff=1, unschedulable=1, gated=1), counts(), False)


def test_activate_skips_backoff_and_unschedulable():
    async def main():
        q = SchedulingQueue()
        q.add(pod("a"))
        q.add(pod("b"))
        await fail(q)
        await fail(q, ())
        assert q.counts() == counts(backoff=1, unschedulable=1)
        assert q.activate([pod("a"), pod("b"), pod("missing")])
        names = sorted([(await q.pop()).pod.metadata.name for _ in range(2)])
        return now(), names

    assert run(main) == (0, ["a", "b"])


def test_update_of_unschedulable_pod_requeues_it():
    async def main():
        q = SchedulingQueue()
        q.add(pod("p"))
        await fail(q)
        q.update(pod("p"), pod("p", priority=3))  # backing off: backoffQ
        assert q.counts() == counts(backoff=1)
        info = await q.pop()
        return now(), info.pod.spec.priority

    assert run(main) == (1, 3)


def test_close_wakes_poppers():
    async def main():
        q = SchedulingQueue()

        async def closer():
            await sleep(3)
            q.close()

        spawn(closer())
        with pytest.raises(QueueClosed):
            await q.pop()
        return now()

    assert run(main) == 3


def test_pod_key_prefers_uid():
    p = pod("p")
    assert pod_key(p) == "default/p"
    assert pod_key(attrs.evolve(p, metadata=attrs.evolve(p.metadata, uid="u-1"))) == "u-1"


def test_runs_are_deterministic():
    async def main():
        q = SchedulingQueue()
        for i in range(20):
            q.add(pod(f"p{i}", priority=i % 3))
        out = []
        for _ in range(40):
            info = await q.pop()
            out.append((now(), info.pod.metadata.name))
            if info.attempts < 3:
                q.add_unschedulable_if_not_present(info, (FIT,) if info.attempts == 1 else ())
            q.done(info.key)
            if len(out) % 10 == 0:
                q.move_all_to_active_or_backoff(ClusterEvent.NODE_ADD)
            if not len(q):
                break
        return out

    first = simulate(main, seed=3)
    second = simulate(main, seed=3)
    assert first.value == second.value
    assert first.trace_hash == second.trace_hash
