"""`emissions ui` stops everything it started: before, Ctrl-C left `dagster dev`'s webserver,
daemon and code servers running (five processes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from orchestration.recovery import parent_pid, pid_exists
from orchestration.settings import ENVIRONMENT, REPO_ROOT

EMISSIONS = Path(sys.executable).with_name("emissions")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(root: int) -> set[int]:
    """Every live process below ``root`` (by parent pid, read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = parent_pid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    if not pid_exists(pid):
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_ctrl_c_stops_the_ui_and_every_process_it_started(tmp_path):
    """SIGINT, as Ctrl-C sends it (SIGTERM takes the same path in run_process_group)."""
    stop_signal = signal.SIGINT
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    env["EMISSIONS_HOME"] = str(tmp_path / "home")
    ui = subprocess.Popen(
        [str(EMISSIONS), "ui", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert ui.poll() is None, ui.stderr.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the UI did not answer within 120 s"
                time.sleep(1)
        started = descendants(ui.pid)
        assert len(started) >= 3  # dagster dev, its webserver, its daemon (and code servers)

        ui.send_signal(stop_signal)
        ui.wait(timeout=60)

        time.sleep(1)
        left = sorted(pid for pid in started if running(pid))
        assert left == [], f"still running after {stop_signal.name}: {left}"
        assert "stopping the Dagster UI and everything it started" in ui.stderr.read()
    finally:
        if ui.poll() is None:
            ui.kill()
        for pid in descendants(ui.pid):
            os.kill(pid, signal.SIGKILL)
