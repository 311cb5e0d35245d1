"""The controller framework (controller-runtime in Python): reconcilers, controllers, the
builder, the manager, predicates, leader election, the event recorder and metrics.

- :class:`Request`, :class:`Result`, :class:`Reconciler`, :class:`TerminalError`;
- :class:`Controller` (watches, workqueue, workers) and :class:`ControllerBuilder`;
- :class:`Manager`: shared informers, controllers, leader election, graceful shutdown;
- predicates: :class:`GenerationChangedPredicate`, :class:`LabelChangedPredicate`,
  :class:`AnnotationChangedPredicate`, :class:`Funcs`, :func:`and_`, :func:`or_`, :func:`not_`;
- :class:`LeaderElector`, :class:`EventRecorder`, :class:`ControllerMetrics`.

See docs/controllers.md.
"""

from kube_actors.controller.builder import ControllerBuilder, ControllerOptions
from kube_actors.controller.controller import (
    Controller,
    Mapper,
    Watch,
    enqueue_for_object,
    enqueue_for_owner,
)
from kube_actors.controller.events import EventRecorder, object_reference
from kube_actors.controller.leaderelection import LeaderElectionConfig, LeaderElector
from kube_actors.controller.manager import Manager
from kube_actors.controller.metrics import ControllerMetrics
from kube_actors.controller.predicates import (
    AnnotationChangedPredicate,
    Funcs,
    GenerationChangedPredicate,
    LabelChangedPredicate,
    Predicate,
    and_,
    not_,
    or_,
)
from kube_actors.controller.reconcile import (
    ReconcileFunc,
    Reconciler,
    Request,
    Result,
    TerminalError,
    controller_reference,
    get_controller_of,
    set_controller_reference,
)

__all__ = [
    "AnnotationChangedPredicate",
    "Controller",
    "ControllerBuilder",
    "ControllerMetrics",
    "ControllerOptions",
    "EventRecorder",
    "Funcs",
    "GenerationChangedPredicate",
    "LabelChangedPredicate",
    "LeaderElectionConfig",
    "LeaderElector",
    "Manager",
    "Mapper",
    "Predicate",
    "ReconcileFunc",
    "Reconciler",
    "Request",
    "Result",
    "TerminalError",
    "Watch",
    "and_",
    "controller_reference",
    "enqueue_for_object",
    "enqueue_for_owner",
    "get_controller_of",
    "not_",
    "object_reference",
    "or_",
    "set_controller_reference",
]
