# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lab whose lab_dir is below a world-writable directory (/tmp) comes up and its endpoint answers SSH: sshd's
StrictModes refuses an authorized_keys file below a directory others can write, so the endpoint's key lives in a
root-only directory under /run. Runs a lab without guests (the endpoint only), with the guest images of the usual
lab_dir, after the main lab is down (it uses the same namespace name); takes it down again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CACHED_IMAGES = Path(os.environ.get("NICTUNE_LAB_DIR", "~/.cache/nictune/lab")).expanduser() / "images"
NETNS = os.environ.get("NICTUNE_LAB_NETNS", "nictune-lab")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")


def _ansible(*args, lab_dir, inventory=None):
    bindir = Path(sys.executable).parent
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / ".build" / "collections"))
    env["PATH"] = f"{bindir}:{env.get('PATH', '/usr/bin:/bin')}"
    cmd = [str(bindir / args[0]), *args[1:], "-e", f"lab_dir={lab_dir}"]
    if inventory:
        cmd += ["-i", str(inventory)]
    return subprocess.run(cmd, check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def test_lab_below_tmp_brings_its_endpoint_up():
    if os.path.exists(f"/run/netns/{NETNS}"):
        pytest.skip("a lab is up (namespace %s): this test runs its own lab after the main one is down" % NETNS)
    parent = Path(tempfile.mkdtemp(prefix="nictune-lab-anywhere-", dir="/tmp"))
    os.chmod(parent, 0o1777)  # writable by everyone, as /tmp itself
    lab_dir = parent / "lab"
    try:
        lab_dir.mkdir()
        if CACHED_IMAGES.is_dir():
            os.symlink(CACHED_IMAGES, lab_dir / "images")  # no second image build
        extra = ["-e", "lab_guest_count=0", "-e", "lab_novirtio=false", "-e", "lab_legacy=false"]
        extra += ["-e", "lab_install_packages=false"]
        up = _ansible("ansible-playbook", str(REPO / "playbooks" / "lab_up.yml"), *extra, lab_dir=lab_dir)
        assert up.returncode == 0, (up.stdout + up.stderr)[-3000:]
        ping = _ansible(
            "ansible",
            "lab-endpoint",
            "-m",
            "ansible.builtin.ping",
            lab_dir=lab_dir,
            inventory=lab_dir / "inventory.yml",
        )
        assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout + ping.stderr
    finally:
        down = _ansible("ansible-playbook", str(REPO / "playbooks" / "lab_down.yml"), lab_dir=lab_dir)
        shutil.rmtree(parent, ignore_errors=True)
    assert down.returncode == 0, (down.stdout + down.stderr)[-3000:]
    assert not os.path.exists(f"/run/netns/{NETNS}")
    assert not os.path.exists(f"/run/nictune/{NETNS}")
