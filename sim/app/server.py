"""Serving the dashboard: Solara's Starlette app under uvicorn, on 127.0.0.1 unless told
otherwise, in production mode, with no telemetry and no call home (the page's scripts and fonts
come from the installed `solara-assets`, so it works on a provincial intranet with no internet).
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

from sim.app.session import APP_RUNS, APP_SCALE
from sim.errors import ScenarioError

DEFAULT_PORT = 8765


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_host(host: str) -> None:
    """One line unless `host` is an address this machine can bind: loopback (the default) or one the
    planner typed out (an interface's address, or 0.0.0.0 / :: for every interface, with a warning
    when served). An empty or blank host, which uvicorn would take as every interface, is refused.

    >>> check_host("")
    Traceback (most recent call last):
    sim.errors.ScenarioError: --host '': expected an address to listen on, e.g. 127.0.0.1 (this machine only)
    """
    if not host.strip() or host != host.strip() or any(ch in host for ch in "/ \t\n,;"):
        raise ScenarioError(f"--host {host!r}: expected an address to listen on, e.g. 127.0.0.1 (this machine only)")
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise ScenarioError(f"--host {host!r}: not an address of this machine (no such host)") from None


def check_port(host: str, port: int) -> None:
    """One line if the address cannot be served (in use, not this machine's), before any start."""
    if not 0 < port < 65536:
        raise ScenarioError(f"--port {port}: expected 1-65535")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        why = "in use (pick another with --port)" if exc.errno == errno.EADDRINUSE else \
            (exc.strerror or str(exc)).lower()
        raise ScenarioError(f"--host {host} --port {port}: {why}") from None


def environment(scenario: Path | None, folder: Path, runs: int, scale: float) -> dict[str, str]:
    """What the page reads (sim.app.page) and what keeps Solara quiet and local."""
    from sim.app.page import FOLDER_ENV, RUNS_ENV, SCALE_ENV, SCENARIO_ENV

    env = {FOLDER_ENV: str(folder.resolve()), RUNS_ENV: str(runs), SCALE_ENV: repr(scale), "SOLARA_APP": "sim.app.page",
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_CHECK_VERSION": "False",
           # No "This website runs on Solara" banner over the tables and the map; the tab says what it is.
           "SOLARA_THEME_SHOW_BANNER": "False", "SOLARA_THEME_TITLE": "citytwin"}
    if scenario is not None:
        env[SCENARIO_ENV] = str(scenario.resolve())
    return env


def serve(scenario: Path | None, folder: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          runs: int = APP_RUNS, scale: float = APP_SCALE) -> None:
    """Serve until Ctrl-C; prints the address first."""
    check_port(host, port)
    os.environ.update(environment(scenario, folder, runs, scale))
    import uvicorn
    from solara.server import settings

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False
    settings.theme.show_banner = False  # set here too: the settings may be read before the environment
    settings.theme.title = "citytwin"
    from sim.app.page import close_sessions
    shown = f"[{host}]" if ":" in host else host
    print(f"citytwin app: http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    if host not in LOOPBACK:
        print(f"citytwin app: listening on {host}: anyone who can reach this machine can run the model",
              file=sys.stderr, flush=True)
    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning",
                            access_log=False)
    try:
        uvicorn.Server(config).run()
    finally:
        close_sessions()  # the workers stop with the server (the process then leaves at once: sim.app.cli.entry)
