"""The planner as it was before issue 15 (commit 9414c3e), frozen: the per-contact audience
filters (`filters.py`) and the per-row plan (`plan.py`), copied unchanged.

The reference the columnar planner is checked against (`tests/compose/test_plan_columnar.py`:
the plan that is sent must be byte-identical) and the "whole recompute" baseline of
`benchmarks/bench_app_scale.py`. Never edit these copies; they are what "before" means.
"""
