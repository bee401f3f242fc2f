"""Helpers for integrators' and our own tests: the Cedar oracle for the decision rule
(``testing.cedar``) and a source of fixed people (``testing.sources.StaticSource``)."""
