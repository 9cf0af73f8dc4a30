"""The model layer: the month (numba kernels, office queues, payment habits, Resolution 57 tasks),
the programmes money buys, the government and operators, `CityModel`, and the indicators it is
measured by.
"""
