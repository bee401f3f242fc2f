"""Scenarios driven over real HTTP: the Cambridge Analytica replay (and, later, adversaries
and benign apps)."""
