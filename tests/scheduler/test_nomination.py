"""Nominated pods hold room: the Nominator, the cycle counting them on their node (quick path
and the long way), preemption's dry run counting them, clearing nominations, and the running
scheduler keeping a preemptor's room from later low-priority pods."""

from __future__ import annotations

import random
from typing import Any

import attrs
import pytest

from kube_actors.api import Affinity, LabelSelector, Pod, PodAffinity, PodAffinityTerm
from kube_actors.client import LocalClient
from kube_actors.runtime import checkpoint, simulate, sleep
from kube_actors.scheduler import Scheduler, default_profile
from kube_actors.scheduler.cycle import Framework
from kube_actors.scheduler.nominator import Nominator
from kube_actors.store import APIServer
from tests.scheduler.builders import cache_of, container, node, pod

HOST = "kubernetes.io/hostname"
WEB = {"app": "web"}
PAUSE = "registry.k8s.io/pause:3.10"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"


def make(name, cpu, priority=0, node_name="", *, uid=None, labels=None, **spec):
    """A pod asking ``cpu`` millicores with ``priority`` and a uid (default: its name)."""
    p = pod(name, cpu=f"{cpu}m", node_name=node_name, priority=priority, **spec)
    meta = attrs.evolve(p.metadata, uid=uid or f"uid-{name}", labels=labels or {})
    return attrs.evolve(p, metadata=meta)


def nominated_in_status(p, node_name):
    return attrs.evolve(p, status=attrs.evolve(p.status, nominated_node_name=node_name))


def anti_web(p):
    """``p`` wanting no ``app=web`` pod on its host (required anti-affinity)."""
    term = PodAffinityTerm(topology_key=HOST, label_selector=LabelSelector(match_labels=WEB))
    aff = Affinity(
        pod_anti_affinity=PodAffinity(required_during_scheduling_ignored_during_execution=(term,))
    )
    return attrs.evolve(p, spec=attrs.evolve(p.spec, affinity=aff))


def framework(nodes, pods=(), nominator=None, profile=None, seed=0) -> Framework:
    return Framework(
        profile or default_profile(),
        cache_of(nodes, pods),
        random.Random(seed),
        nominator=nominator,
    )


def head(message: str) -> str:
    """The fit error, without preemption's verdict appended to it."""
    return message.partition(" preemption: ")[0]


def bound(p, node_name):
    return attrs.evolve(p, spec=attrs.evolve(p.spec, node_name=node_name))


# --- the cycle: the quick path ----------------------------------------------------------------


def test_a_nominated_pod_holds_room_against_pods_of_its_priority_or_lower():
    vip = make("vip", 1000, 10)
    nominator = Nominator()
    nominator.add(vip, "n1")
    fw = framework([node("n1", cpu="1")], nominator=nominator)

    low = make("low", 500, 0)
    result = fw.schedule(low)
    assert result.node is None
    assert head(result.message) == "0/1 nodes are available: 1 Insufficient cpu."
    assert result.unschedulable_plugins == {"NodeResourcesFit"}
    assert fw.evaluate_all(low) == ((), {})

    # Equal priority counts too (upstream: >=).
    peer = make("peer", 500, 10)
    assert fw.schedule(peer).node is None
    assert fw.evaluate_all(peer) == ((), {})

    # A higher priority is not held off by it.
    high = make("high", 500, 20)
    assert fw.schedule(high).node == "n1"
    assert fw.evaluate_all(high) == (("n1",), {})

    # The nominated pod itself (same uid, even a newer object) is not blocked by its own room.
    newer = attrs.evolve(vip, metadata=attrs.evolve(vip.metadata, labels={"v": "2"}))
    for p in (vip, newer):
        result = fw.schedule(p)
        assert result.node == "n1"
        assert fw.evaluate_all(p) == (("n1",), {})

    # Without the nominator the low pod fits: the rejection above was the held room.
    assert framework([node("n1", cpu="1")]).schedule(low).node == "n1"


def test_the_held_node_is_skipped_and_chosen_again_once_the_nomination_goes():
    # LeastAllocated prefers the bigger n1 for a 1-CPU pod, unless room is held there.
    nodes = [node("n1", cpu="4"), node("n2", cpu="2")]
    low = make("low", 1000, 0)
    assert framework(nodes).schedule(low).node == "n1"
    assert framework(nodes).evaluate_all(low)[0] == ("n1", "n2")

    nominator = Nominator()
    fw = framework(nodes, nominator=nominator)
    assert fw.schedule(low).node == "n1"  # nothing nominated yet (and memos are warm)
    vip = make("vip", 3500, 5)
    nominator.add(vip, "n1")
    for seed in range(5):
        fw.rng = random.Random(seed)
        result = fw.schedule(low)
        assert (result.node, result.feasible) == ("n2", 1)
    assert fw.evaluate_all(low)[0] == ("n2",)
    # A small pod still fits next to the held room.
    assert fw.evaluate_all(make("tiny", 400, 0))[0] == ("n1", "n2")

    nominator.remove(vip)
    assert len(nominator) == 0
    assert fw.schedule(low).node == "n1"
    assert fw.evaluate_all(low)[0] == ("n1", "n2")


def test_the_nominated_node_of_the_pod_is_tried_first_with_held_room_counted():
    nodes = [node("big", cpu="8"), node("small", cpu="1")]
    nominator = Nominator()
    fw = framework(nodes, nominator=nominator)
    p = nominated_in_status(make("p", 500, 0), "small")
    assert fw.schedule(p).node == "small"  # LeastAllocated alone would pick big
    # Another pod's room on its nominated node: it goes elsewhere.
    nominator.add(make("vip", 1000, 0), "small")
    result = fw.schedule(p)
    assert result.node == "big"


# --- the cycle: the long way (PreFilter over a snapshot holding the nominated pods) -----------


def hosts(*names, cpu="4"):
    return [node(n, cpu=cpu, labels={HOST: n}) for n in names]


def test_required_anti_affinity_sees_a_nominated_pod_as_a_bound_one():
    nodes = hosts("n1", "n2")
    shy = anti_web(make("shy", 100, 5))
    webby = make("webby", 100, 5, labels=WEB)

    nominator = Nominator()
    nominator.add(webby, "n1")
    held = framework(nodes, nominator=nominator)
    plain = framework(nodes, [bound(webby, "n1")])
    assert held.evaluate_all(shy)[0] == plain.evaluate_all(shy)[0] == ("n2",)
    for seed in range(4):
        held.rng = random.Random(seed)
        assert held.schedule(shy).node == "n2"
    # Without the nomination n1 is fine.
    assert framework(nodes).evaluate_all(shy)[0] == ("n1", "n2")

    # With n1 alone, the rejection is InterPodAffinity's, as if the pod were bound there.
    only = hosts("n1")
    result = framework(only, nominator=nominator).schedule(shy)
    want = framework(only, [bound(webby, "n1")]).schedule(shy)
    assert result.node is want.node is None
    assert head(result.message) == head(want.message)
    assert head(result.message) == f"0/1 nodes are available: 1 {ANTI_AFFINITY}."
    assert result.unschedulable_plugins == want.unschedulable_plugins == {"InterPodAffinity"}

    # A lower-priority nominated pod holds nothing against it.
    lower = Nominator()
    lower.add(make("webby", 100, 4, labels=WEB), "n1")
    assert framework(nodes, nominator=lower).evaluate_all(shy)[0] == ("n1", "n2")


def test_a_nominated_pod_with_anti_affinity_keeps_matching_pods_off_its_node():
    """The nominated pod is the one with required anti-affinity: the incoming pod has none,
    but the held pod is not seen through the node info only, so PreFilter runs again."""
    nodes = hosts("n1", "n2")
    shy = anti_web(make("shy", 100, 5))
    webby = make("webby", 100, 5, labels=WEB)
    nominator = Nominator()
    nominator.add(shy, "n1")
    held = framework(nodes, nominator=nominator)
    plain = framework(nodes, [bound(shy, "n1")])
    assert held.evaluate_all(webby)[0] == plain.evaluate_all(webby)[0] == ("n2",)
    only = hosts("n1")
    result = framework(only, nominator=nominator).schedule(webby)
    assert head(result.message) == f"0/1 nodes are available: 1 {EXISTING_ANTI_AFFINITY}."
    assert head(result.message) == head(framework(only, [bound(shy, "n1")]).schedule(webby).message)
    # A pod without the label does not care.
    assert held.evaluate_all(make("other", 100, 0))[0] == ("n1", "n2")


# --- the failure path --------------------------------------------------------------------------


def test_the_failure_message_reports_a_held_node_with_its_nominated_pods_counted():
    nodes = [node("tiny", cpu="4", pods=1), node("tainted", taints=[("k", "v", "NoSchedule")])]
    vip = make("vip", 100, 3)
    nominator = Nominator()
    nominator.add(vip, "tiny")
    low = make("low", 100, 0)
    result = framework(nodes, nominator=nominator).schedule(low)
    assert result.node is None
    assert head(result.message) == (
        "0/2 nodes are available: 1 Too many pods, 1 node(s) had untolerated taint {k: v}."
    )
    assert result.unschedulable_plugins == {"NodeResourcesFit", "TaintToleration"}
    # The same as with the nominated pod bound there.
    want = framework(nodes, [bound(vip, "tiny")]).schedule(low)
    assert head(want.message) == head(result.message)
    # Without the nomination it fits on "tiny".
    assert framework(nodes).schedule(low).node == "tiny"


def test_held_node_reports_its_first_rejection_with_the_nominated_pods_counted():
    """With them counted the node has too little CPU (the reason reported), though without
    them it would pass: each node's reason is its first rejection in the held view."""
    nodes = [node("n1", cpu="1", memory="1Gi"), node("n2", cpu="1", memory="1Gi")]
    nominator = Nominator()
    nominator.add(make("vip", 800, 1), "n1")
    low = pod("low", cpu="500m", memory="2Gi", priority=0)  # too much memory everywhere
    result = framework(nodes, nominator=nominator).schedule(low)
    # NodeResourcesFit lists every reason of the node it rejects.
    assert head(result.message) == (
        "0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory."
    )


# --- preemption counts nominated pods ----------------------------------------------------------


def full_nodes():
    """n1 and n2 of 1 CPU, each full of one low-priority pod; n1's is the cheaper victim."""
    nodes = [node("n1", cpu="1"), node("n2", cpu="1")]
    pods = [make("low1", 1000, 0, "n1"), make("low2", 1000, 1, "n2")]
    return nodes, pods


@pytest.mark.parametrize("quick", [True, False], ids=["quick", "long-way"])
def test_preemption_counts_nominated_pods_on_their_node(quick: bool):
    nodes, pods = full_nodes()
    vip1 = make("vip1", 1000, 100)
    vip2 = make("vip2", 1000, 100)

    def propose(nominator, incoming, seed=0):
        profile = default_profile()
        assert profile.points["postFilter"] == ("DefaultPreemption",)
        profile.plugins["DefaultPreemption"].quick_dry_run = quick
        result = framework(nodes, pods, nominator, profile, seed).schedule(incoming)
        assert result.node is None
        return result

    # Nothing nominated: the cheaper victim (priority 0 on n1) wins, whatever the offset.
    for seed in range(4):
        result = propose(Nominator(), vip2, seed)
        assert result.post_filter.nominated_node == "n1"
        assert [v.metadata.name for v in result.post_filter.victims] == ["low1"]

    # vip1 holds n1: evicting low1 would not make room for vip2 there.
    nominator = Nominator()
    nominator.add(vip1, "n1")
    for seed in range(4):
        result = propose(nominator, vip2, seed)
        assert result.post_filter.nominated_node == "n2"
        assert [v.metadata.name for v in result.post_filter.victims] == ["low2"]
        assert not result.clear_nomination

    # A higher-priority preemptor is not held off by vip1's nomination.
    vip3 = make("vip3", 1000, 200)
    assert propose(nominator, vip3).post_filter.nominated_node == "n1"

    # Both nodes held: no candidate, and the nomination (if any) is to be cleared.
    nominator.add(make("vip4", 1000, 100), "n2")
    result = propose(nominator, vip2)
    assert result.post_filter is None
    assert result.clear_nomination
    assert result.message == (
        "0/2 nodes are available: 2 Insufficient cpu. "
        "preemption: 0/2 nodes are available: 2 Insufficient cpu."
    )


def nominated_cluster(seed):
    """2-4 nodes of 2 CPU with a few low-priority pods each, pods nominated to them at
    priorities below, equal to and above the incoming pod's (5), some labelled ``app=web``
    or anti-affine to it (the long way), and an incoming pod that mostly must preempt."""
    rng = random.Random(seed)
    nodes = [
        node(f"n{i}", cpu="2", pods=rng.randint(3, 5), labels={HOST: f"n{i}"})
        for i in range(rng.randint(2, 4))
    ]
    pods, nominations = [], []
    for i in range(len(nodes)):
        for j in range(rng.randint(1, 3)):
            labels = WEB if rng.random() < 0.2 else None
            cpu = rng.choice([300, 500, 700, 900])
            pods.append(make(f"p{i}-{j}", cpu, rng.randint(0, 3), f"n{i}", labels=labels))
        for j in range(rng.randint(0, 2)):
            labels = WEB if rng.random() < 0.2 else None
            cpu = rng.choice([200, 500, 800, 1200])
            held = make(f"h{i}-{j}", cpu, rng.choice([2, 5, 10]), labels=labels)
            if rng.random() < 0.15:
                held = anti_web(held)
            nominations.append((held, f"n{i}"))
    incoming = make("incoming", rng.choice([800, 1000, 1400, 1800]), 5)
    if rng.random() < 0.2:
        incoming = anti_web(incoming)
    return nodes, pods, nominations, incoming


def test_preemption_quick_dry_run_and_the_long_way_agree_with_nominated_pods():
    changed = 0
    proposals = 0
    for seed in range(30):
        nodes, pods, nominations, incoming = nominated_cluster(seed)

        def outcome(quick, nominations, nodes=nodes, pods=pods, incoming=incoming, seed=seed):
            profile = default_profile()
            profile.plugins["DefaultPreemption"].quick_dry_run = quick
            nominator = Nominator()
            for p, where in nominations:
                nominator.add(p, where)
            result = framework(nodes, pods, nominator, profile, seed).schedule(incoming)
            return result.node, result.message, result.post_filter, result.clear_nomination

        quick = outcome(True, nominations)
        assert quick == outcome(False, nominations), seed
        changed += quick != outcome(True, [])
        proposals += quick[2] is not None
    # The clusters do exercise the nominations, and preemption with them.
    assert changed >= 10
    assert proposals >= 10


# --- clearing a nomination ---------------------------------------------------------------------


def test_no_candidate_clears_the_nomination_but_preemption_policy_never_keeps_it():
    nodes = [node("n1", cpu="1")]
    pods = [make("vip", 1000, 500, "n1")]
    incoming = nominated_in_status(make("incoming", 500, 100), "n1")
    result = framework(nodes, pods).schedule(incoming)
    assert result.node is None
    assert result.post_filter is None
    assert result.clear_nomination
    assert result.message.endswith(
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )

    never = nominated_in_status(
        make("never", 500, 100, preemption_policy="Never"),
        "n1",
    )
    result = framework(nodes, pods).schedule(never)
    assert result.node is None
    assert result.post_filter is None
    assert not result.clear_nomination
    assert result.message.endswith("preemption: not eligible due to preemptionPolicy=Never.")

    # A successful proposal clears nothing either.
    victim = [make("low", 1000, 0, "n1")]
    result = framework(nodes, victim).schedule(incoming)
    assert result.post_filter is not None
    assert result.post_filter.nominated_node == "n1"
    assert not result.clear_nomination


# --- the Nominator -----------------------------------------------------------------------------


def test_nominator_update_remove_and_lower_priority():
    n = Nominator()
    p = make("p", 100, 5)

    # Not nominated and none written: nothing to keep.
    n.update(p)
    assert len(n) == 0
    assert n.node_of(p) is None

    # A nomination written in the status is taken.
    p1 = nominated_in_status(p, "n1")
    n.update(p1)
    assert n.node_of(p) == "n1"
    assert n.on("n1") == (p1,)

    # The status wins over the nomination held here.
    n.add(p, "n2")
    assert n.on("n1") == ()
    assert n.node_of(p) == "n2"
    n.update(p1)
    assert n.node_of(p) == "n1"
    assert n.on("n2") == ()
    assert n.on("n1")[0] is p1

    # Same written node, newer object: the newer object is held.
    p1b = attrs.evolve(p1, metadata=attrs.evolve(p1.metadata, labels={"v": "b"}))
    n.update(p1b)
    assert n.on("n1")[0] is p1b

    # An update without a written nomination keeps the one held, with the newer pod.
    n.add(p, "n3")
    newer = attrs.evolve(p, metadata=attrs.evolve(p.metadata, labels={"v": "2"}))
    assert not newer.status.nominated_node_name
    n.update(newer)
    assert n.node_of(p) == "n3"
    assert n.on("n3")[0] is newer
    assert len(n) == 1

    # reserved_for: others of lower or equal priority see it; it and higher ones do not.
    assert n.reserved_for(make("q", 1, 5)) == {"n3": (newer,)}
    assert n.reserved_for(make("q", 1, 4)) == {"n3": (newer,)}
    assert n.reserved_for(make("q", 1, 6)) == {}
    assert n.reserved_for(newer) == {}

    # lower_priority_on: what loses its nomination to a higher-priority preemptor.
    other = make("other", 100, 9)
    n.add(other, "n3")
    assert n.lower_priority_on("n3", make("x", 1, 9)) == (newer,)
    assert n.lower_priority_on("n3", make("x", 1, 10)) == (newer, other)
    assert n.lower_priority_on("n3", make("x", 1, 5)) == ()

    # Remove works by uid: any object of the pod (even renamed) removes it.
    stranger = make("renamed", 1, 0, uid=p.metadata.uid)
    n.remove(stranger)
    assert n.node_of(p) is None
    assert n.on("n3") == (other,)
    n.remove(stranger)  # twice: nothing
    assert len(n) == 1
    n.remove(other)
    assert len(n) == 0
    assert n.on("n3") == ()
    assert n.reserved_for(make("q", 1, 0)) == {}


def test_nominator_update_drops_a_nomination_cleared_in_the_status():
    """Upstream updateNominatedPod: a status that had a nomination and lost it clears the
    one held here; a status that never had one keeps it (its write may be in flight)."""
    n = Nominator()
    vip = make("vip", 1000, 10, uid="u-vip")
    n.add(vip, "n1")
    newer = attrs.evolve(vip, metadata=attrs.evolve(vip.metadata, labels={"v": "2"}))
    n.update(newer, vip)
    assert n.node_of(vip) == "n1"
    assert n.on("n1") == (newer,)
    written = nominated_in_status(newer, "n1")
    n.update(newer, written)  # the status said n1, now it says nothing
    assert n.node_of(vip) is None
    assert len(n) == 0


def test_nominator_keys_pods_without_uid_by_namespace_and_name():
    n = Nominator()
    a = pod("a", "100m", priority=1)
    assert not a.metadata.uid
    n.add(a, "n1")
    assert n.node_of(pod("a")) == "n1"
    assert n.node_of(pod("b")) is None
    n.add(a, "n2")  # moves
    assert n.on("n1") == ()
    assert n.node_of(a) == "n2"
    assert len(n) == 1


# --- the running scheduler ---------------------------------------------------------------------


def api_pod(name: str, cpu: str, priority: int) -> Pod:
    return pod(name, containers=[container(cpu=cpu, image=PAUSE)], priority=priority)


def run(main, seed: int = 1) -> Any:
    async def wrapper() -> Any:
        client = LocalClient(await APIServer.start())
        return await main(client)

    return simulate(wrapper, seed=seed, time_limit=3600).value


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_preemptor_gets_the_room_its_victims_free(seed: int):
    """A preemptor is nominated, its victim goes (the kubelet's grace-0 delete), and a batch
    of low-priority pods created right then cannot take the freed room: they see it held,
    and the preemptor ends up bound on its nominated node."""

    async def main(client: LocalClient) -> None:
        for i in range(2):
            await client.create(node(f"n{i}", cpu="1"))
        scheduler = Scheduler(client, rng=random.Random(seed))
        scheduler.start()
        await client.create(api_pod("low", "600m", 1))
        await client.create(api_pod("lower", "600m", 0))
        await scheduler.wait_idle()
        await client.create(api_pod("vip", "900m", 1000))
        await scheduler.wait_idle()
        await sleep(0.1)
        vip = await client.get(Pod, "vip", namespace="default")
        lower = await client.get(Pod, "lower", namespace="default")
        target = lower.spec.node_name
        assert scheduler.stats.preemptions == 1
        assert vip.status.nominated_node_name == target
        assert scheduler.nominator.node_of(vip) == target
        assert lower.metadata.deletion_timestamp is not None
        # The kubelet stops the victim; low-priority pods arrive at once.
        await client.delete(Pod, "lower", namespace="default", grace_period_seconds=0)
        for k in range(3):
            await client.create(api_pod(f"late{k}", "300m", 0))
        for _ in range(6):
            await sleep(5)
            await scheduler.wait_idle()
        vip = await client.get(Pod, "vip", namespace="default")
        assert vip.spec.node_name == target
        assert scheduler.nominator.node_of(vip) is None
        assert len(scheduler.nominator) == 0
        pods = (await client.list(Pod, namespace="default")).items
        placed = {p.metadata.name: p.spec.node_name for p in pods}
        assert "lower" not in placed
        # 900m of the target's 1 CPU is the vip's: no 300m late pod fits beside it; the other
        # node keeps "low" (600m) and takes one of them.
        late = [name for name in placed if name.startswith("late")]
        assert sorted(placed[name] for name in late if placed[name]) == [
            n for n in ("n0", "n1") if n != target
        ]
        assert scheduler.stats.preemptions == 1
        await scheduler.stop()

    run(main, seed=seed)


def test_a_lower_priority_nomination_taken_over_stays_cleared():
    """Upstream prepareCandidate: pods of lower priority nominated to the node a preemptor
    is nominated to lose their nomination, and it is cleared in their status.

    Here ``p`` preempts first, and ``h`` (higher) preempts on the same node before ``p``'s
    status write (nominatedNodeName=n0) is seen. That late update re-adds ``p`` to the
    Nominator for a moment; the clearing write follows it and its update drops ``p`` again,
    so ``p`` does not keep holding n0.
    """

    async def main(client: LocalClient) -> None:
        await client.create(node("n0", cpu="1"))
        scheduler = Scheduler(client, rng=random.Random(1))
        proposals: list[tuple[str, str]] = []
        failed = scheduler._failed

        def spy(info, result):
            if result.post_filter is not None:
                proposals.append((info.pod.metadata.name, result.post_filter.nominated_node))
            failed(info, result)

        scheduler._failed = spy
        scheduler.start()
        await client.create(api_pod("low", "1000m", 0))
        await scheduler.wait_idle()
        await client.create(api_pod("p", "600m", 10))
        await checkpoint()  # p's cycle runs; its status write is still in flight
        await client.create(api_pod("h", "600m", 100))
        await sleep(5)
        await scheduler.wait_idle()
        p = await client.get(Pod, "p", namespace="default")
        h = await client.get(Pod, "h", namespace="default")
        await scheduler.stop()
        assert proposals == [("p", "n0"), ("h", "n0")]
        assert h.status.nominated_node_name == "n0"
        assert scheduler.nominator.node_of(h) == "n0"
        assert (p.status.nominated_node_name, scheduler.nominator.node_of(p)) == ("", None)

    run(main)
