"""lab_down leaves nothing of the lab behind: no process, namespace, bridge or tap; a second run is harmless.

By default the test brings the lab up first (lab_up, ~90 s with cached images), then runs lab_down twice
and checks the machine. With NICTUNE_LAB_TEST_SKIP_UP=1 it only runs lab_down twice and checks (use it
right after another test, e.g. `molecule test -s default`, already brought the lab up and down).

    ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections .venv/bin/pytest tests/lab -v

Needs root, the Debian packages the lab installs, and the collection on ANSIBLE_COLLECTIONS_PATH.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB_DIR = Path(os.environ.get("NICTUNE_LAB_DIR", "~/.cache/nictune/lab")).expanduser()
NETNS = os.environ.get("NICTUNE_LAB_NETNS", "nictune-lab")
BRIDGE = os.environ.get("NICTUNE_LAB_BRIDGE", "ntbr0")
LAB_PROGRAMS = ("qemu-system-x86_64", "libvirtd", "virtlogd", "iperf3", "sshd")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")


def _playbook(name):
    bindir = Path(sys.executable).parent
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / ".build" / "collections"))
    env["PATH"] = f"{bindir}:{env.get('PATH', '/usr/bin:/bin')}"
    cmd = [str(bindir / "ansible-playbook"), str(REPO / "playbooks" / name), "-e", f"lab_dir={LAB_DIR}"]
    return subprocess.run(cmd, check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def _lab_processes():
    """Processes of the programs the lab starts that belong to the lab.

    A process is the lab's when its command line mentions lab_dir or the namespace, or when its mount
    table shows lab_dir (the lab's libvirtd and virtlogd run with bind mounts of lab_dir/libvirt).
    """
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            mounts = (proc / "mountinfo").read_text()
        except OSError:
            continue
        if not argv or not argv[0]:
            continue
        prog = os.path.basename(argv[0].decode(errors="replace"))
        if not any(prog.startswith(p) for p in LAB_PROGRAMS):
            continue
        cmdline = b" ".join(argv).decode(errors="replace")
        if str(LAB_DIR) in cmdline or NETNS in cmdline or str(LAB_DIR) in mounts:
            found.append(f"{proc.name} {cmdline[:200]}")
    return found


def _host_links():
    out = subprocess.run(["ip", "-j", "-d", "link", "show"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def torn_down():
    """Bring the lab up (unless told not to), then run lab_down twice."""
    if not os.environ.get("NICTUNE_LAB_TEST_SKIP_UP"):
        up = _playbook("lab_up.yml")
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-2000:]
        assert _lab_processes(), "lab_up started no lab process: the checks below would prove nothing"
    runs = [_playbook("lab_down.yml"), _playbook("lab_down.yml")]
    return runs


def test_lab_down_succeeds_twice(torn_down):
    first, second = torn_down
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
    assert re.search(r"^localhost\s*:\s*ok=\d+\s+changed=0\s", second.stdout, re.M), second.stdout[-2000:]


def test_no_lab_process_left(torn_down):
    assert _lab_processes() == []


def test_no_lab_namespace_left(torn_down):
    out = subprocess.run(["ip", "netns", "list"], check=True, capture_output=True, text=True).stdout
    assert NETNS not in [line.split()[0] for line in out.splitlines() if line.strip()]
    assert not Path("/run/netns", NETNS).exists()


def test_no_lab_bridge_or_tap_in_the_host(torn_down):
    links = _host_links()
    names = {link["ifname"] for link in links}
    assert BRIDGE not in names
    # libvirt's taps for the lab were created inside the namespace; none may have leaked into the host.
    leaked = [link["ifname"] for link in links if link.get("master") == BRIDGE]
    assert leaked == []


def test_no_lab_pid_file_or_socket_left(torn_down):
    assert not (LAB_DIR / "run").exists()
    libvirt_run = LAB_DIR / "libvirt" / "run"
    assert [*libvirt_run.glob("*.pid"), *libvirt_run.glob("*sock*"), *libvirt_run.glob("qemu/*.pid")] == []


def test_no_domain_definition_or_guest_disk_left(torn_down):
    assert list((LAB_DIR / "libvirt" / "etc" / "qemu").glob("nictune-lab-*.xml")) == []
    assert not (LAB_DIR / "disks").exists()
    assert not (LAB_DIR / "inventory.yml").exists()


def test_images_stay_cached(torn_down):
    if not (LAB_DIR / "images").exists():
        pytest.skip("no images (lab_purge ran, or the lab never ran)")
    assert list((LAB_DIR / "images").glob("*/.complete"))
