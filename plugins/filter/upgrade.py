# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the upgrade: nic_model_plan, nic_model_compare (docs in the sidecar .yml files)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.plan import compare, plan_guest
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.report import (
    guest_entry,
    render,
    summary,
    throughput,
)


def _find_domain(domains, domain, config_path):
    for entry in domains or []:
        if config_path and entry.get("path"):
            if os.path.realpath(entry["path"]) == os.path.realpath(config_path):
                return entry
        elif entry.get("domain") == domain:
            return entry
    return None


def nic_model_plan(
    audit, name, domain=None, config_path=None, supported=None, pinned=None, ranking=None, readiness_gate=True
):
    """Plan of guest ``name`` from its hypervisor's audit (the ``domains`` of nic_model_info)."""
    if audit is not None and not isinstance(audit, list):
        raise AnsibleFilterError("nic_model_plan: expected the list of domains of nic_model_info")
    entry = _find_domain(audit, domain or name, config_path)
    offered = None
    if entry is not None and entry.get("offered_models"):
        offered = entry["offered_models"]
    plan = plan_guest(
        name,
        entry,
        supported=supported,
        pinned=pinned or None,
        offered=offered,
        ranking=ranking or None,
        readiness_gate=bool(readiness_gate),
    )
    plan["domain"] = domain or name
    return plan


def nic_model_compare(after, before, threshold=0.1):
    """Verdict on throughput ``after`` a switch against ``before`` (dicts with send_bps and receive_bps)."""
    try:
        return compare(before, after, threshold)
    except NicTuneError as exc:
        raise AnsibleFilterError(str(exc))


def nic_model_throughput(rows):
    """iperf_probe_result rows of one guest -> {send_bps, receive_bps, errors}."""
    return throughput(rows)


def nic_model_report_entries(names, hostvars, check_mode=False):
    """The upgrade report's guest entries, from the facts the playbook left on each guest."""
    out = []
    for name in names or []:
        facts = hostvars.get(name) or {}
        if "nic_model_plan" not in facts:
            out.append(guest_entry(name, {"action": "skip", "reason": "not audited or planned (unreachable?)"}))
            continue
        out.append(
            guest_entry(
                name,
                facts.get("nic_model_plan"),
                outcome=facts.get("nic_model_outcome"),
                verdict=facts.get("nic_model_verdict"),
                before=facts.get("nic_model_before"),
                after=facts.get("nic_model_after"),
                check_mode=bool(check_mode),
            )
        )
    return out


def nic_model_report(entries, fmt="json", meta=None, title="NIC upgrade"):
    """Render the report entries as json, csv, md or html text."""
    try:
        return render(list(entries or []), str(fmt), meta=dict(meta or {}), title=str(title))
    except NicTuneError as exc:
        raise AnsibleFilterError(str(exc))


def nic_model_report_summary(entries):
    """Counts per decision and a one-line status."""
    return summary(list(entries or []))


class FilterModule:
    def filters(self):
        return {
            "nic_model_plan": nic_model_plan,
            "nic_model_compare": nic_model_compare,
            "nic_model_throughput": nic_model_throughput,
            "nic_model_report_entries": nic_model_report_entries,
            "nic_model_report": nic_model_report,
            "nic_model_report_summary": nic_model_report_summary,
        }
