"""The controller framework: leader election and the event recorder (reconcilers and the
manager build on them)."""

from kube_actors.controller.events import EventRecorder, object_reference
from kube_actors.controller.leaderelection import LeaderElectionConfig, LeaderElector

__all__ = ["EventRecorder", "LeaderElectionConfig", "LeaderElector", "object_reference"]
