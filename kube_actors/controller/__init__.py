"""The controller framework: leader election (reconcilers and the manager build on it)."""

from kube_actors.controller.leaderelection import LeaderElectionConfig, LeaderElector

__all__ = ["LeaderElectionConfig", "LeaderElector"]
