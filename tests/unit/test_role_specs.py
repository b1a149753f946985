# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role's defaults live in defaults/main.yml and are documented, with the same value, in its argument specs;
every entry point a playbook of the collection uses has an argument spec."""

from __future__ import annotations

import glob
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(
    os.path.basename(os.path.dirname(os.path.dirname(p))) for p in glob.glob(ROOT + "/roles/*/meta/main.yml")
)


def _load(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _entry_points_used():
    used = set()

    def walk(tasks):
        for task in tasks or []:
            for key in ("block", "rescue", "always"):
                walk(task.get(key))
            for mod in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                if mod in task and str(task[mod]["name"]).startswith("nictune.fleet."):
                    used.add((task[mod]["name"].split(".")[-1], task[mod].get("tasks_from", "main")))

    files = glob.glob(ROOT + "/playbooks/*.yml") + glob.glob(ROOT + "/roles/*/tasks/*.yml")
    for path in files:
        for item in _load(path) or []:
            walk(item.get("tasks") if "hosts" in item else [item])
            for role in item.get("roles") or []:
                name = role if isinstance(role, str) else role.get("role")
                if str(name).startswith("nictune.fleet."):
                    used.add((name.split(".")[-1], "main"))
    return used


@pytest.mark.parametrize("role", ROLES)
def test_defaults_are_documented_with_the_same_value(role):
    defaults = _load("roles", role, "defaults", "main.yml") or {}
    specs = _load("roles", role, "meta", "argument_specs.yml")["argument_specs"]
    documented = {}
    for entry in specs.values():
        for name, spec in (entry.get("options") or {}).items():
            if "default" in spec:
                assert documented.setdefault(name, spec["default"]) == spec["default"], (role, name)
    for name, value in defaults.items():
        assert name in documented, "%s: %s is in defaults/main.yml but not in meta/argument_specs.yml" % (role, name)
        assert documented[name] == value, "%s: %s is %r in defaults, %r in the specs" % (
            role,
            name,
            value,
            documented[name],
        )
    for name in documented:
        assert name in defaults, "%s: %s has a default in the specs but none in defaults/main.yml" % (role, name)


def test_every_entry_point_in_use_has_an_argument_spec():
    used = _entry_points_used()
    assert ("nic_model", "report_plan") in used and ("nic_model", "report") in used
    for role, entry in sorted(used):
        specs = _load("roles", role, "meta", "argument_specs.yml")["argument_specs"]
        assert entry in specs, "%s: entry point %s has no argument spec" % (role, entry)
