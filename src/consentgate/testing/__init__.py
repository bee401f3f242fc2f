"""Helpers for integrators' and our own tests: the Cedar oracle for the decision rule."""
