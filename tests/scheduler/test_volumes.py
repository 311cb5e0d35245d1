from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from kube_actors.api import (
    HostPathVolumeSource,
    LocalVolumeSource,
    NFSVolumeSource,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    ObjectMeta,
    PersistentVolume,
    PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    PersistentVolumeClaimStatus,
    PersistentVolumeClaimVolumeSource,
    PersistentVolumeSpec,
    PodStatus,
    Volume,
    VolumeNodeAffinity,
)
from kube_actors.runtime import PluginRegistry
from kube_actors.scheduler import (
    SCHEDULER_PLUGINS,
    Code,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    Snapshot,
    build_profile,
    explain,
)
from kube_actors.scheduler.framework import EnqueueExtensions
from kube_actors.scheduler.handle import run_filters
from kube_actors.scheduler.plugins.volumes import (
    ERR_REASON_MAX_VOLUME_COUNT,
    ERR_REASON_NODE_CONFLICT,
    ERR_REASON_PV_NOT_EXIST,
    ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT,
    ERR_REASON_UNBOUND_IMMEDIATE,
    ERR_REASON_ZONE_CONFLICT,
    NodeVolumeLimits,
    VolumeBinding,
    VolumeRestrictions,
    VolumeZone,
    csi_attach_limit_key,
    pv_driver,
)
from tests.scheduler.builders import node, pod

OK = Code.SUCCESS
SKIP = Code.SKIP
NO = Code.UNSCHEDULABLE
NEVER = Code.UNSCHEDULABLE_AND_UNRESOLVABLE

RWOP = ("ReadWriteOncePod",)
ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"
BETA_ZONE = "failure-domain.beta.kubernetes.io/zone"
LOCAL_LIMIT = "attachable-volumes-csi-kubernetes.io/local-volume"
VOLUME_PLUGINS = (VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone)


def claim(
    name,
    volume="",
    *,
    modes=("ReadWriteOnce",),
    storage_class=None,
    namespace="default",
    deleting=False,
    phase="",
    annotations=None,
):
    return PersistentVolumeClaim(
        metadata=ObjectMeta(
            name=name,
            namespace=namespace,
            annotations=annotations or {},
            deletion_timestamp=datetime(2024, 1, 1, tzinfo=UTC) if deleting else None,
        ),
        spec=PersistentVolumeClaimSpec(
            access_modes=modes, volume_name=volume, storage_class_name=storage_class
        ),
        status=PersistentVolumeClaimStatus(phase=phase),
    )


def term(*requirements, fields=()):
    def reqs(items):
        return tuple(
            NodeSelectorRequirement(key=k, operator=op, values=tuple(vs)) for k, op, vs in items
        )

    return NodeSelectorTerm(match_expressions=reqs(requirements), match_fields=reqs(fields))


def volume(name, *, source="local", labels=None, terms=None):
    sources = {
        "local": {"local": LocalVolumeSource(path=f"/mnt/{name}")},
        "nfs": {"nfs": NFSVolumeSource(server="nfs.example", path=f"/{name}")},
        "hostPath": {"host_path": HostPathVolumeSource(path=f"/{name}")},
        None: {},
    }
    affinity = None
    if terms is not None:
        affinity = VolumeNodeAffinity(required=NodeSelector(node_selector_terms=tuple(terms)))
    return PersistentVolume(
        metadata=ObjectMeta(name=name, labels=labels or {}),
        spec=PersistentVolumeSpec(node_affinity=affinity, **sources[source]),
    )


def uses(*claims, name="p", node_name="", namespace="default"):
    volumes = tuple(
        Volume(
            name=f"v{i}", persistent_volume_claim=PersistentVolumeClaimVolumeSource(claim_name=c)
        )
        for i, c in enumerate(claims)
    )
    p = pod(name, node_name=node_name, volumes=volumes)
    return attrs.evolve(p, metadata=attrs.evolve(p.metadata, namespace=namespace))


def statuses(plugin, p, snapshot):
    """PreFilter once, then Filter on every node: {node: status}, or the PreFilter status."""
    state = CycleState()
    pre = plugin.pre_filter(state, p, snapshot)
    if not pre.is_success:
        return pre
    return {info.name: plugin.filter(state, p, info) for info in snapshot.nodes}


def first(result):
    """The PreFilter status, or the status of the first node."""
    return result if not isinstance(result, dict) else next(iter(result.values()))


TWO_NODES = [node("a"), node("b")]


# --- VolumeRestrictions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incoming", "existing", "pvcs", "code", "reasons"),
    [
        pytest.param(pod("p"), [], [], SKIP, (), id="no-volumes"),
        pytest.param(uses("data"), [], [claim("data", modes=RWOP)], SKIP, (), id="rwop-unused"),
        pytest.param(
            uses("data"),
            [uses("data", name="holder", node_name="b")],
            [claim("data", modes=RWOP)],
            NO,
            (ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT,),
            id="rwop-used-on-another-node",
        ),
        pytest.param(
            uses("data"),
            [uses("data", name="holder", node_name="b")],
            [claim("data", modes=("ReadWriteOnce",))],
            SKIP,
            (),
            id="rwo-shared",
        ),
        pytest.param(
            uses("data"),
            [uses("data", name="holder", node_name="b", namespace="other")],
            [claim("data", modes=RWOP), claim("data", modes=RWOP, namespace="other")],
            SKIP,
            (),
            id="same-name-other-namespace",
        ),
        pytest.param(
            uses("data"),
            [uses("data", name="p", node_name="a")],
            [claim("data", modes=RWOP)],
            SKIP,
            (),
            id="the-pod-itself",
        ),
        pytest.param(
            uses("data"),
            [],
            [],
            NEVER,
            ('persistentvolumeclaim "data" not found',),
            id="claim-missing",
        ),
    ],
)
def test_volume_restrictions(incoming, existing, pvcs, code, reasons):
    snapshot = Snapshot.build(TWO_NODES, existing, pvcs=pvcs)
    result = statuses(VolumeRestrictions(), incoming, snapshot)
    if isinstance(result, dict):
        # A ReadWriteOncePod conflict is cluster-wide: every node answers the same.
        assert len({(s.code, s.reasons) for s in result.values()}) == 1
    status = first(result)
    assert status.code is code
    assert status.reasons == reasons


def test_volume_restrictions_ignores_finished_pods():
    done = uses("data", name="done", node_name="a")
    done = attrs.evolve(done, status=PodStatus(phase="Succeeded"))
    snapshot = Snapshot.build(TWO_NODES, [done], pvcs=[claim("data", modes=RWOP)])
    assert first(statuses(VolumeRestrictions(), uses("data"), snapshot)).code is SKIP


def test_volume_restrictions_conflict_goes_once_the_holder_is_removed():
    holder = uses("data", name="holder", node_name="a")
    snapshot = Snapshot.build(TWO_NODES, [holder], pvcs=[claim("data", modes=RWOP)])
    assert first(statuses(VolumeRestrictions(), uses("data"), snapshot)).code is NO
    # What preemption does: the same PreFilter on a snapshot without the victim.
    without = snapshot.with_node(snapshot.get("a").without_pod(holder))
    assert first(statuses(VolumeRestrictions(), uses("data"), without)).code is SKIP


# --- NodeVolumeLimits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incoming", "existing", "pvcs", "pvs", "limits", "code", "reasons"),
    [
        pytest.param(pod("p"), [], [], [], {LOCAL_LIMIT: "1"}, SKIP, (), id="no-claims"),
        pytest.param(
            uses("new"),
            [uses("old", name="o", node_name="a")],
            [claim("new", "pv-new"), claim("old", "pv-old")],
            [volume("pv-new"), volume("pv-old")],
            {},
            OK,
            (),
            id="node-without-limits",
        ),
        pytest.param(
            uses("new"),
            [uses("old", name="o", node_name="a")],
            [claim("new", "pv-new"), claim("old", "pv-old")],
            [volume("pv-new"), volume("pv-old")],
            {LOCAL_LIMIT: "2"},
            OK,
            (),
            id="at-the-limit",
        ),
        pytest.param(
            uses("new"),
            [uses("old", name="o", node_name="a")],
            [claim("new", "pv-new"), claim("old", "pv-old")],
            [volume("pv-new"), volume("pv-old")],
            {LOCAL_LIMIT: "1"},
            NO,
            (ERR_REASON_MAX_VOLUME_COUNT,),
            id="over-the-limit",
        ),
        pytest.param(
            uses("shared"),
            [uses("shared", name="o", node_name="a")],
            [claim("shared", "pv-shared")],
            [volume("pv-shared")],
            {LOCAL_LIMIT: "1"},
            OK,
            (),
            id="volume-already-attached",
        ),
        pytest.param(
            uses("one", "two"),
            [],
            [claim("one", "pv-same"), claim("two", "pv-same")],
            [volume("pv-same")],
            {LOCAL_LIMIT: "1"},
            OK,
            (),
            id="two-claims-one-volume",
        ),
        pytest.param(
            uses("one", "two"),
            [],
            [claim("one", "pv-1"), claim("two", "pv-2")],
            [volume("pv-1"), volume("pv-2")],
            {LOCAL_LIMIT: "1"},
            NO,
            (ERR_REASON_MAX_VOLUME_COUNT,),
            id="pod-alone-over-the-limit",
        ),
        pytest.param(
            uses("new"),
            [uses("old", name="o", node_name="a")],
            [claim("new", "pv-new"), claim("old", "pv-old")],
            [volume("pv-new", source="nfs"), volume("pv-old")],
            {LOCAL_LIMIT: "1"},
            OK,
            (),
            id="other-driver-unlimited",
        ),
        pytest.param(
            uses("new"),
            [uses("old", name="o", node_name="a")],
            [claim("new", storage_class="fast"), claim("old", storage_class="fast")],
            [],
            {"attachable-volumes-csi-fast": "1"},
            NO,
            (ERR_REASON_MAX_VOLUME_COUNT,),
            id="unbound-claims-count-by-class",
        ),
        pytest.param(
            uses("new"),
            [],
            [claim("new")],
            [],
            {LOCAL_LIMIT: "0"},
            OK,
            (),
            id="unbound-without-class-not-counted",
        ),
        pytest.param(
            uses("new"),
            [uses("gone", name="o", node_name="a")],
            [claim("new", "pv-new")],
            [volume("pv-new")],
            {LOCAL_LIMIT: "1"},
            OK,
            (),
            id="existing-pod-claim-missing-ignored",
        ),
        pytest.param(
            uses("new"),
            [],
            [],
            [],
            {LOCAL_LIMIT: "1"},
            NEVER,
            ('looking up PVC default/new: persistentvolumeclaim "new" not found',),
            id="claim-missing",
        ),
    ],
)
def test_node_volume_limits(incoming, existing, pvcs, pvs, limits, code, reasons):
    snapshot = Snapshot.build([node("a", extra=limits)], existing, pvcs=pvcs, pvs=pvs)
    status = first(statuses(NodeVolumeLimits(), incoming, snapshot))
    assert status.code is code
    assert status.reasons == reasons


def test_node_volume_limits_per_node():
    nodes = [node("small", extra={LOCAL_LIMIT: "1"}), node("big", extra={LOCAL_LIMIT: "5"})]
    existing = [uses("old", name="o1", node_name="small"), uses("old", name="o2", node_name="big")]
    pvcs = [claim("new", "pv-new"), claim("old", "pv-old")]
    snapshot = Snapshot.build(nodes, existing, pvcs=pvcs, pvs=[volume("pv-new"), volume("pv-old")])
    result = statuses(NodeVolumeLimits(), uses("new"), snapshot)
    assert {n: s.code for n, s in result.items()} == {"small": NO, "big": OK}


@pytest.mark.parametrize(
    ("source", "driver"),
    [
        ("local", "kubernetes.io/local-volume"),
        ("hostPath", "kubernetes.io/host-path"),
        ("nfs", "kubernetes.io/nfs"),
        (None, ""),
    ],
)
def test_pv_driver(source, driver):
    assert pv_driver(volume("v", source=source)) == driver


def test_csi_attach_limit_key_hashes_long_driver_names():
    assert csi_attach_limit_key("ebs.csi.aws.com") == "attachable-volumes-csi-ebs.csi.aws.com"
    assert (
        csi_attach_limit_key("a-very-long-driver-name.storage.example.com")
        == "attachable-volumes-csi-a-very-long-driver-name0c78ae5b31e295e9"
    )


# --- VolumeBinding -----------------------------------------------------------------------------

IN_ZONE_A = term((ZONE, "In", ["a"]))


@pytest.mark.parametrize(
    ("claims", "pvcs", "pvs", "expected"),
    [
        pytest.param((), [], [], SKIP, id="no-claims"),
        pytest.param(
            ("data",),
            [],
            [],
            (NEVER, 'persistentvolumeclaim "data" not found'),
            id="claim-missing",
        ),
        pytest.param(
            ("data",),
            [claim("data", "pv", deleting=True)],
            [volume("pv")],
            (NEVER, 'persistentvolumeclaim "data" is being deleted'),
            id="claim-being-deleted",
        ),
        pytest.param(
            ("data",),
            [claim("data", "pv", phase="Lost")],
            [],
            (NEVER, 'persistentvolumeclaim "data" bound to non-existent persistentvolume "pv"'),
            id="claim-lost",
        ),
        pytest.param(
            ("data",),
            [claim("data", storage_class="fast")],
            [],
            (NEVER, ERR_REASON_UNBOUND_IMMEDIATE),
            id="unbound",
        ),
        pytest.param(
            ("unbound", "gone"),
            [claim("unbound")],
            [],
            (NEVER, 'persistentvolumeclaim "gone" not found'),
            id="lookup-errors-before-unbound",
        ),
        pytest.param(
            ("data",),
            [claim("data", "pv")],
            [volume("pv")],
            {"a": (OK, None), "b": (OK, None)},
            id="bound-no-affinity",
        ),
        pytest.param(
            ("data",),
            [claim("data", "pv")],
            [volume("pv", terms=[IN_ZONE_A])],
            {"a": (OK, None), "b": (NEVER, ERR_REASON_NODE_CONFLICT)},
            id="bound-affinity",
        ),
        pytest.param(
            ("data",),
            [claim("data", "pv")],
            [volume("pv", terms=[term(fields=[("metadata.name", "In", ["b"])])])],
            {"a": (NEVER, ERR_REASON_NODE_CONFLICT), "b": (OK, None)},
            id="bound-affinity-by-node-name",
        ),
        pytest.param(
            ("data",),
            [claim("data", "pv")],
            [volume("pv", terms=[IN_ZONE_A, term((ZONE, "In", ["b"]))])],
            {"a": (OK, None), "b": (OK, None)},
            id="terms-ored",
        ),
        pytest.param(
            ("data",),
            [claim("data", "pv")],
            [],
            {"a": (NEVER, ERR_REASON_PV_NOT_EXIST), "b": (NEVER, ERR_REASON_PV_NOT_EXIST)},
            id="bound-pv-missing",
        ),
        pytest.param(
            ("gone", "pinned"),
            [claim("gone", "pv-gone"), claim("pinned", "pv")],
            [volume("pv", terms=[IN_ZONE_A])],
            {"a": (NEVER, ERR_REASON_PV_NOT_EXIST), "b": (NEVER, ERR_REASON_PV_NOT_EXIST)},
            id="first-failing-claim-wins",
        ),
    ],
)
def test_volume_binding(claims, pvcs, pvs, expected):
    nodes = [node("a", labels={ZONE: "a"}), node("b", labels={ZONE: "b"})]
    snapshot = Snapshot.build(nodes, pvcs=pvcs, pvs=pvs)
    result = statuses(VolumeBinding(), uses(*claims), snapshot)
    if isinstance(expected, dict):
        got = {n: (s.code, s.message or None) for n, s in result.items()}
        assert got == expected
    elif expected is SKIP:
        assert result.code is SKIP
    else:
        assert (result.code, result.message) == expected
        assert len(result.reasons) == 1


# --- VolumeZone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pv_labels", "node_labels", "code"),
    [
        pytest.param({}, {ZONE: "a"}, SKIP, id="pv-without-topology"),
        pytest.param({ZONE: "a"}, {ZONE: "a"}, OK, id="same-zone"),
        pytest.param({ZONE: "a"}, {ZONE: "b"}, NEVER, id="other-zone"),
        pytest.param({ZONE: "a"}, {}, OK, id="node-without-topology"),
        pytest.param({ZONE: "a"}, {REGION: "r"}, NEVER, id="node-without-zone"),
        pytest.param({ZONE: "a__b"}, {ZONE: "b"}, OK, id="multi-zone"),
        pytest.param({ZONE: " a __ b "}, {ZONE: "b"}, OK, id="multi-zone-trimmed"),
        pytest.param({ZONE: "a", REGION: "r1"}, {ZONE: "a", REGION: "r2"}, NEVER, id="region"),
        pytest.param({BETA_ZONE: "a"}, {ZONE: "a"}, OK, id="beta-pv-ga-node"),
        pytest.param({BETA_ZONE: "a"}, {BETA_ZONE: "a"}, OK, id="beta-both"),
        pytest.param({ZONE: "a"}, {BETA_ZONE: "a"}, NEVER, id="ga-pv-beta-node"),
        pytest.param({ZONE: "a____b"}, {ZONE: "c"}, SKIP, id="unparsable-label-ignored"),
        pytest.param({"other": "x"}, {ZONE: "a"}, SKIP, id="unrelated-label"),
    ],
)
def test_volume_zone(pv_labels, node_labels, code):
    snapshot = Snapshot.build(
        [node("n", labels=node_labels)],
        pvcs=[claim("data", "pv")],
        pvs=[volume("pv", labels=pv_labels)],
    )
    status = first(statuses(VolumeZone(), uses("data"), snapshot))
    assert status.code is code
    assert status.reasons == ((ERR_REASON_ZONE_CONFLICT,) if code is NEVER else ())


@pytest.mark.parametrize(
    ("claims", "pvcs", "pvs", "reason"),
    [
        pytest.param(("",), [], [], "PersistentVolumeClaim had no name", id="no-claim-name"),
        pytest.param(
            ("data",), [], [], 'persistentvolumeclaim "data" not found', id="claim-missing"
        ),
        pytest.param(
            ("data",),
            [claim("data")],
            [],
            "PersistentVolumeClaim had no pv name and storageClass name",
            id="unbound-no-class",
        ),
        pytest.param(
            ("data",),
            [claim("data", storage_class="fast")],
            [],
            "PersistentVolume had no name",
            id="unbound-with-class",
        ),
        pytest.param(
            ("data",),
            [claim("data", annotations={"volume.beta.kubernetes.io/storage-class": "fast"})],
            [],
            "PersistentVolume had no name",
            id="unbound-with-beta-class",
        ),
        pytest.param(
            ("data",),
            [claim("data", "pv")],
            [],
            'persistentvolume "pv" not found',
            id="pv-missing",
        ),
    ],
)
def test_volume_zone_prefilter_rejections(claims, pvcs, pvs, reason):
    snapshot = Snapshot.build([node("n")], pvcs=pvcs, pvs=pvs)
    status = VolumeZone().pre_filter(CycleState(), uses(*claims), snapshot)
    assert status.code is NEVER
    assert status.reasons == (reason,)


def test_volume_zone_checks_every_volume():
    snapshot = Snapshot.build(
        [node("a", labels={ZONE: "a"}), node("b", labels={ZONE: "b"})],
        pvcs=[claim("one", "pv-a"), claim("two", "pv-ab")],
        pvs=[volume("pv-a", labels={ZONE: "a"}), volume("pv-ab", labels={ZONE: "a__b"})],
    )
    result = statuses(VolumeZone(), uses("one", "two"), snapshot)
    assert {n: s.code for n, s in result.items()} == {"a": OK, "b": NEVER}


# --- events and protocols ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plugin", "events"),
    [
        (VolumeRestrictions, {"NodeAdd", "NodeUpdate", "AssignedPodDelete", "PvcAdd"}),
        (NodeVolumeLimits, {"NodeAdd", "NodeUpdate", "AssignedPodDelete", "PvcAdd"}),
        (
            VolumeBinding,
            {"NodeAdd", "NodeUpdate", "PvcAdd", "PvcUpdate", "PvAdd", "PvUpdate"},
        ),
        (VolumeZone, {"NodeAdd", "NodeUpdate", "PvcAdd", "PvcUpdate", "PvAdd", "PvUpdate"}),
    ],
)
def test_events_to_register(plugin, events):
    instance = plugin({})
    assert isinstance(instance, EnqueueExtensions)
    assert instance.events_to_register() == frozenset(events)


@pytest.mark.parametrize("plugin", VOLUME_PLUGINS)
def test_plugins_are_prefilter_and_filter_plugins(plugin):
    instance = plugin(None)
    assert instance.name == plugin.NAME
    assert isinstance(instance, PreFilterPlugin)
    assert isinstance(instance, FilterPlugin)


# --- through a profile -------------------------------------------------------------------------


def volume_profile():
    registry = PluginRegistry("kube_actors.test_volume_plugins", "scheduler plugin")
    for name in SCHEDULER_PLUGINS.names():
        registry.register(name, SCHEDULER_PLUGINS.get(name))
    for cls in VOLUME_PLUGINS:
        registry.register(cls.NAME, cls, replace=True)
    enabled = [{"name": cls.NAME} for cls in VOLUME_PLUGINS]
    return build_profile({"plugins": {"multiPoint": {"enabled": enabled}}}, registry=registry)


def test_profile_places_volume_plugins_at_prefilter_and_filter():
    profile = volume_profile()
    for point in ("preFilter", "filter"):
        names = profile.points[point]
        assert [n for n in names if n.startswith(("Volume", "NodeVolume"))] == [
            "VolumeRestrictions",
            "NodeVolumeLimits",
            "VolumeBinding",
            "VolumeZone",
        ]
    assert not any(n.startswith(("Volume", "NodeVolume")) for n in profile.points["score"])


def test_explain_skips_volume_plugins_for_pods_without_claims():
    e = explain(pod("p", "1"), TWO_NODES, profile=volume_profile())
    pre = {p.plugin: p.status.code for p in e.pre_filter}
    assert pre["VolumeRestrictions"] is SKIP
    assert pre["VolumeBinding"] is SKIP
    assert e.selected in ("a", "b")
    filters = {f.plugin: f.status.code for f in e.nodes["a"].filters}
    assert filters["VolumeRestrictions"] is SKIP


def test_explain_reports_a_missing_claim():
    # explain() builds its snapshot from nodes and pods only, so the claim is missing there.
    e = explain(uses("data"), TWO_NODES, profile=volume_profile())
    assert e.selected is None
    assert e.pre_filter[-1].plugin == "VolumeRestrictions"
    assert e.message == '0/2 nodes are available: 2 persistentvolumeclaim "data" not found.'


def test_full_profile_with_claims():
    profile = volume_profile()
    nodes = [node("a", labels={ZONE: "a"}), node("b", labels={ZONE: "b"})]
    holder = uses("exclusive", name="holder", node_name="b")
    pvcs = [claim("exclusive", "pv-x", modes=RWOP), claim("zonal", "pv-z")]
    pvs = [volume("pv-x"), volume("pv-z", labels={ZONE: "a"}, terms=[IN_ZONE_A])]
    snapshot = Snapshot.build(nodes, [holder], pvcs=pvcs, pvs=pvs)

    zonal = uses("zonal")
    assert run_filters(profile, zonal, snapshot.get("a"), snapshot).is_success
    rejected = run_filters(profile, zonal, snapshot.get("b"), snapshot)
    assert (rejected.plugin, rejected.code, rejected.reasons) == (
        "VolumeBinding",
        NEVER,
        (ERR_REASON_NODE_CONFLICT,),
    )

    contended = run_filters(profile, uses("exclusive"), snapshot.get("a"), snapshot)
    assert (contended.plugin, contended.code, contended.reasons) == (
        "VolumeRestrictions",
        NO,
        (ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT,),
    )
