"""The one error a planner sees: bad input, said in one line.

Every check of a scenario, an argument, a data file or an output folder raises
`ScenarioError` with a message naming the file or option, the key and what is
allowed; the CLI prints it on one line and exits with status 2. This module
imports nothing from `sim`, so every layer can raise it.
"""

import errno


class ScenarioError(Exception):
    """A scenario, argument, file or folder that cannot be used; the message is one line."""


# A write that failed because the disk (or the user's quota) is full: the command stops with one
# line and status 1; results are written to a hidden folder first, so earlier ones are intact.
FULL_DISK = (errno.ENOSPC, errno.EDQUOT)
