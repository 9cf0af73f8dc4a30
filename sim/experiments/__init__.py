"""The experiments layer: where runs execute (`Execution`, `Runner`), ensembles, goal seeking, the
cheapest split, sweeps, scenario discovery, calibration, sensitivity, pilots, cost before starting.
"""
