# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VBoxManage stand-in of the integration target, for unit tests: no VirtualBox runs here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
STAND_IN = os.path.normpath(
    os.path.join(
        _HERE, "..", "..", "..", "integration", "targets", "nic_model_virtualbox", "files", "vboxmanage_standin.py"
    )
)


class VBoxManageStandIn:
    """Runs the stand-in script on a state file of its own; ``calls`` lists the argv of every call."""

    def __init__(self, directory, vms):
        self.state_file = str(directory / "vbox-state.json")
        self.log_file = str(directory / "vbox-calls.jsonl")
        with open(self.state_file, "w") as handle:
            json.dump({"vms": vms}, handle)
        open(self.log_file, "w").close()

    def __call__(self, argv):
        env = {"NICTUNE_VBOX_STATE": self.state_file, "NICTUNE_VBOX_LOG": self.log_file, "PATH": "/usr/bin:/bin"}
        proc = subprocess.run(
            [sys.executable, STAND_IN, *argv[1:]], capture_output=True, text=True, env=env, check=False
        )
        return proc.returncode, proc.stdout, proc.stderr

    @property
    def calls(self):
        with open(self.log_file) as handle:
            return [json.loads(line) for line in handle]

    def vms(self):
        with open(self.state_file) as handle:
            return {vm["name"]: vm for vm in json.load(handle)["vms"]}


@pytest.fixture
def vboxmanage(tmp_path):
    """``vboxmanage(vms)``: a stand-in for VBoxManage holding ``vms`` (see the script's docstring)."""
    return lambda vms: VBoxManageStandIn(tmp_path, vms)
