"""The outputs layer: folders that never lose data, verdicts, figures, the results folder, the
calibrated scenario.
"""
