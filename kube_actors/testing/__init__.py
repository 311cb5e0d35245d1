"""The testing toolkit: hypothesis strategies for every kind (more arrives with the simulator).

Needs ``hypothesis`` (``pip install kube-actors[testing]``).
"""
