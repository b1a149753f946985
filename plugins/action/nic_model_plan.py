# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of nictune.fleet.nic_model_plan (documented in plugins/modules/nic_model_plan.py)."""

from __future__ import annotations

from ansible_collections.nictune.fleet.plugins.module_utils._common import models as _models
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.choice import member
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.plan import guest_record
from ansible_collections.nictune.fleet.plugins.modules.nic_model_plan import DOCUMENTATION
from ansible_collections.nictune.fleet.plugins.plugin_utils.action import NictuneAction


class ActionModule(NictuneAction):
    DOCUMENTATION = DOCUMENTATION

    def work(self, args, task_vars):
        name = task_vars.get("inventory_hostname")
        hypervisor = args["hypervisor"]
        audit = self.host_var(task_vars, hypervisor, "nic_model_audit")
        if audit is None:
            raise NicTuneError(
                "%s: nic_model_hypervisor is %r, which is not an inventory host whose domains were audited "
                "(run the nic_model role's audit entry point on it first)" % (name, hypervisor)
            )
        pinned = (args["pinned"] or "").strip()
        if pinned.lower() == "auto":
            pinned = ""  # how an AWX survey says "choose for me"
        if pinned and _models.canonical(pinned) is None:
            raise NicTuneError(
                "%s: nic_model_target %r is not a known NIC model; known: %s"
                % (name, pinned, ", ".join(_models.MODELS))
            )
        for model in args["ranking"]:
            if _models.canonical(model) is None:
                raise NicTuneError("%s: nic_model_ranking names %r, which is not a known NIC model" % (name, model))
        record = guest_record(
            name,
            hypervisor,
            audit,
            domain=args["domain"],
            config_path=args["config_path"] or None,
            supported=args["supported"],
            pinned=pinned or None,
            ranking=args["ranking"] or None,
            readiness_gate=args["readiness_gate"],
            method=args["switch"],
            hotplug=args["hotplug"],
            guest_os=args.get("guest_os") or None,
            choice=args["choice"],
            class_name=(args["class_name"] or "").strip() or None,
            trial_guest=_trial_guest(args["trial_guest"]),
        )
        # measured: the guests that can be in a class wait for their class's choice (group nictune_choose)
        group = "choose" if args["choice"] == "measured" and member(record) else record["action"]
        return {"changed": False, "group": group, "ansible_facts": {"nic_model_guest": record}}


def _trial_guest(given):
    """nic_model_trial_guest: a guest name, or true on the sample itself; None for empty or false."""
    if given is True or given in (None, False, ""):
        return given or None
    text = str(given).strip()
    if text.lower() in ("true", "yes"):
        return True
    return None if text.lower() in ("", "false", "no") else text
