"""The dashboard, fast enough to think with: a 20-run ensemble at the app's default scale, once warm.

    .venv/bin/python benchmarks/app.py        # about 3 minutes

1. Session (no browser): `sim.app.session.Session` as `citytwin app` makes it (20 runs, scale
   0.005, both cores, workers kept warm), for three provinces: the first ensemble (the scenario as
   loaded: workers starting, numba's cache loading) and then five plans, each a new
   budget.dx_share, timed from the call to the judged and compared outcome.
2. Page (Debian's chromium, Playwright): `citytwin app scenarios/dak_lak.toml` as a planner opens
   it; once the first verdict shows, the budget lever is moved one step and Run clicked, five
   times; each is timed from the click to the verdict table showing the new share.

Results go to benchmarks/results/app.json; the README quotes them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROVINCES = ["dak_lak", "hai_phong", "dong_nai"]
PLANS = [0.031, 0.035, 0.04, 0.05, 0.06]


def session_times() -> list[dict]:
    from sim.app.session import APP_RUNS, APP_SCALE, Session, lever_values, plan
    from sim.inputs.scenario import load_scenario

    rows = []
    for name in PROVINCES:
        base = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        session = Session(base)
        t0 = time.perf_counter()
        first = session.run(base)
        cold = time.perf_counter() - t0
        times = []
        for share in PLANS:
            t0 = time.perf_counter()
            session.run(plan(base, lever_values(base) | {"budget.dx_share": share}))
            times.append(time.perf_counter() - t0)
        session.close()
        row = {"province": name, "runs": APP_RUNS, "scale": APP_SCALE, "citizen_agents": first.result.runs[0].citizens,
               "first_seconds": round(cold, 2), "plan_seconds": [round(t, 2) for t in times],
               "plan_median_seconds": round(statistics.median(times), 2), "plan_max_seconds": round(max(times), 2)}
        print(f"{name}: {row['citizen_agents']:,} agents; first ensemble {cold:.1f} s; a plan "
              f"{row['plan_median_seconds']} s median, {row['plan_max_seconds']} s at most")
        rows.append(row)
    return rows


def page_times() -> dict:
    from playwright.sync_api import expect, sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sim.app.cli", "app", "scenarios/dak_lak.toml", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert "http://" in proc.stdout.readline()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            expect.set_options(timeout=300_000)
            t0 = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            floor = page.locator("[data-testid=verdict-table] tr[data-target='dak_lak.budget_floor']")
            expect(floor).to_contain_text("3.0%")
            first = time.perf_counter() - t0
            slider = page.get_by_role("slider").first
            times = []
            for step in range(1, 6):
                slider.focus()
                for _ in range(10):  # +1 point of the budget (0.1 a key)
                    page.keyboard.press("ArrowRight")
                share = f"{3 + step}.0%"
                expect(page.get_by_test_id("value-budget.dx_share")).to_have_text(share)
                t0 = time.perf_counter()
                page.get_by_role("button", name="Run").click()
                expect(floor).to_contain_text(re.compile(re.escape(share)))
                expect(page.get_by_role("button", name="Run")).to_be_enabled()
                times.append(time.perf_counter() - t0)
            page.screenshot(path=str(ROOT / "benchmarks" / "results" / "app.png"), full_page=True)
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    row = {"page": "citytwin app scenarios/dak_lak.toml (20 runs, scale 0.005)",
           "first_verdict_seconds": round(first, 1), "click_to_verdict_seconds": [round(t, 2) for t in times],
           "click_to_verdict_median_seconds": round(statistics.median(times), 2),
           "click_to_verdict_max_seconds": round(max(times), 2)}
    print(f"page: first verdict {first:.1f} s after opening; Run to new verdict "
          f"{row['click_to_verdict_median_seconds']} s median, {row['click_to_verdict_max_seconds']} s at most")
    return row


def main() -> None:
    os.chdir(ROOT)
    out = {"machine": f"{os.cpu_count()} cores", "sessions": session_times(), "page": page_times()}
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "app.json").write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
