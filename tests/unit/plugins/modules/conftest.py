# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the modules as Ansible runs them: in this process (``run_module``) or in a child process
(``run_module_apart``), and reading the result as the controller does (strict UTF-8)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest
from ansible.module_utils import _internal as _module_utils_internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.nictune.fleet.plugins.modules import nic_model

MODULES_DIR = os.path.dirname(os.path.abspath(nic_model.__file__))
COLLECTIONS = MODULES_DIR.rsplit(os.sep + "ansible_collections" + os.sep, 1)[0]


def assert_strict_utf8(value, where="result"):
    """Fail when any text in ``value`` is not valid UTF-8 (the controller refuses such a result)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert_strict_utf8(key, where)
            assert_strict_utf8(item, "%s.%s" % (where, key))
    elif isinstance(value, list):
        for pos, item in enumerate(value):
            assert_strict_utf8(item, "%s[%d]" % (where, pos))
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            pytest.fail("%s is not valid UTF-8 (the controller refuses it): %r" % (where, value))


@pytest.fixture
def run_module(monkeypatch, capsys):
    """``run_module(module, check=False, diff=False, **args)``: the module's result, decoded as the controller does."""
    # Controller imports elsewhere in the same run (filter tests) flip ansible-core's process-wide
    # is_controller switch, after which AnsibleModule.warn() prints instead of returning warnings.
    monkeypatch.setattr(_module_utils_internal, "is_controller", False)

    def run(module, check=False, diff=False, **args):
        args.setdefault("_ansible_check_mode", check)
        args.setdefault("_ansible_diff", diff)
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exc:
                module.main()
        raw = capsys.readouterr().out
        out = json.loads(raw)
        assert_strict_utf8(out)
        out["rc"] = exc.value.code
        return out

    return run


@pytest.fixture
def run_module_apart():
    """``run_module_apart(name, args, timeout=30)``: run module ``name`` in a child process with 1 GiB of address
    space, as Ansible runs it on a host; returns (decoded result or None, stdout, stderr). A run that does not end
    within ``timeout`` seconds fails the test."""

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    def run(name, args, timeout=30):
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args})
        try:
            proc = subprocess.run(
                [sys.executable, os.path.join(MODULES_DIR, name + ".py")],
                input=payload,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=dict(os.environ, PYTHONPATH=COLLECTIONS),
                preexec_fn=limit,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail("%s did not end within %d s (it hangs on %s)" % (name, timeout, args.get("path")))
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            result = None
        return result, proc.stdout, proc.stderr

    return run
