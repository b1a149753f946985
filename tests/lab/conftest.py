# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the probe's lab tests share: the lab's inventory and the checkout's ansible commands, with the collection on
ANSIBLE_COLLECTIONS_PATH. A test that takes the ``lab_ansible`` fixture is skipped when the lab is not up (no
inventory; NICTUNE_LAB_INVENTORY names another one)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")


class Lab:
    """The lab as a test reaches it: ``inventory`` (path), ``env`` (for ansible commands), ``root`` (the checkout)."""

    def __init__(self, inventory):
        self.root = ROOT
        self.inventory = inventory
        self.env = dict(
            os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1"
        )

    def hostvars(self):
        """The lab's inventory as ``ansible-inventory --list`` gives it: groups, and ``_meta.hostvars``."""
        out = subprocess.run(
            [os.path.join(BIN, "ansible-inventory"), "-i", self.inventory, "--list"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout)

    def ansible(self, pattern, *args):
        """An ad-hoc ``ansible`` command on the lab's hosts matching ``pattern`` (not checked: see returncode)."""
        return subprocess.run(
            [os.path.join(BIN, "ansible"), "-i", self.inventory, pattern, *args],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
        )

    def playbook(self, name, *args, **popen):
        """``ansible-playbook`` of ``playbooks/<name>`` on the lab, started (a Popen; ``popen`` its keywords)."""
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, os.path.join(ROOT, "playbooks", name)]
        return subprocess.Popen([*argv, *args], cwd=ROOT, env=self.env, **popen)


@pytest.fixture
def lab_ansible():
    inventory = os.path.expanduser(os.environ.get("NICTUNE_LAB_INVENTORY", "~/.cache/nictune/lab/inventory.yml"))
    if not os.path.exists(inventory):
        pytest.skip("the lab is not up (%s is absent)" % inventory)
    return Lab(inventory)
