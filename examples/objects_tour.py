"""A tour of kube-actors' object model: manifests, defaults, validation, quantities, selectors.

Run it with ``python examples/objects_tour.py``.
"""

from __future__ import annotations

import attrs

from kube_actors.api import (
    Deployment,
    ManifestError,
    default_object,
    dump_manifest,
    load_manifests,
    parse_quantity,
    parse_selector,
    scaled_value,
    selector_from_label_selector,
)

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 10
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: frontend}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        resources:
          requests: {cpu: 250m, memory: 0.5Gi}
"""


def main() -> None:
    [deployment] = load_manifests(MANIFEST)
    assert isinstance(deployment, Deployment)
    print(f"loaded {deployment.kind} {deployment.metadata.name!r}")

    # Objects are immutable values: defaulting returns a new object.
    full = default_object(deployment)
    strategy = full.spec.strategy
    assert strategy is not None
    assert strategy.rolling_update is not None
    surge = scaled_value(strategy.rolling_update.max_surge, full.spec.replicas or 0, round_up=True)
    print(
        f"defaults: strategy {strategy.type}, maxSurge {strategy.rolling_update.max_surge}"
        f" (= {surge} pods of {full.spec.replicas})"
    )

    # Quantities are exact and print canonically.
    requests = deployment.spec.template.spec.containers[0].resources.requests
    print(
        f"requests: cpu {requests['cpu']} = {requests['cpu'].milli_value()}m,"
        f" memory {requests['memory']} = {requests['memory'].value()} bytes"
    )
    print(f"parse_quantity('1.5Gi') -> {parse_quantity('1.5Gi')}")

    # Selectors: the string syntax and LabelSelector objects give the same selector.
    assert deployment.spec.selector is not None
    selector = selector_from_label_selector(deployment.spec.selector)
    labels = deployment.spec.template.metadata.labels
    print(f"selector {selector} matches template labels: {selector.matches(labels)}")
    print(f"canonical form: {parse_selector('tier notin (db),app = web')}")

    # Change one field, dump it back to YAML.
    scaled = attrs.evolve(deployment, spec=attrs.evolve(deployment.spec, replicas=3))
    print("---")
    print(dump_manifest(scaled), end="")

    # Bad input names the document, the field path and the problem.
    try:
        load_manifests(MANIFEST.replace("250m", "12x"))
    except ManifestError as err:
        print(f"--- error ---\n{err}")


if __name__ == "__main__":
    main()
