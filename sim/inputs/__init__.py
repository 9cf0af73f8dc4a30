"""The scenario layer: loading a scenario (`extends`, `--set`, the shipped province data), a user's
GeoJSON/CSV, goals by id, each run's draws of assumptions, the national forcing.
"""
