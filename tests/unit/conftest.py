# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures: a recording stand-in for the narrow host object the cores use (``.._common.host``)."""

from __future__ import annotations

import shutil
import subprocess

import pytest


class RecordingHost:
    """check_mode, diff_mode, warn, run_command, which, write_file, recall/remember: what the cores may use.

    ``commands`` maps the first word of a command to a callable ``argv -> (rc, out, err)`` (a stand-in for a
    program that cannot run here, like xl); other commands run for real. Every command is recorded.
    """

    def __init__(self, check_mode=False, diff_mode=False, commands=None):
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warnings = []
        self.calls = []
        self.cache = {}
        self.commands = dict(commands or {})

    def warn(self, msg):
        self.warnings.append(msg)

    def run_command(self, argv):
        self.calls.append(list(argv))
        stand_in = self.commands.get(argv[0])
        if stand_in is not None:
            return stand_in(argv)
        env = {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
        return proc.returncode, proc.stdout, proc.stderr

    def which(self, name):
        if name in self.commands:
            return "/stand-in/%s" % name
        return shutil.which(name, path="/usr/bin:/bin")

    def write_file(self, path, data, backup=False):
        with open(path, "wb") as handle:
            handle.write(data)

    def recall(self, key):
        return self.cache.get(key)

    def remember(self, key, value):
        self.cache[key] = value


@pytest.fixture
def make_host():
    return RecordingHost
