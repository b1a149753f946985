# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nic_model / nic_model_info for VMs registered with VirtualBox, through ``VBoxManage`` (no Ansible imports).

VirtualBox holds a registered VM's settings in memory (VBoxSVC) and writes them back to the ``.vbox`` whenever
it saves them, also when a VM stops: an edited file would be overwritten. ``VBoxManage modifyvm <vm>
--nictype<N> <type>`` is the sanctioned change, and VirtualBox accepts it only while the VM is powered off
(or aborted): a VM in any other state is reported as pending and left alone.

``host`` is used for ``check_mode``, ``diff_mode``, ``warn``, ``which`` and ``run_command``; the one mutating
command, ``modifyvm``, goes through :func:`_modify`, which is where check mode is honoured. Every VM is read and
planned before the first ``modifyvm``; each change is read back with ``showvminfo``; if VirtualBox refuses one,
the VMs already changed get their previous types back and the error names the VM.
"""

from __future__ import annotations

import re

from .._common.errors import NicTuneError
from . import adapters as _adapters

PROGRAM = "VBoxManage"
#: VMState values (``showvminfo --machinereadable``) in which VirtualBox lets the adapter type change.
EDITABLE_STATES = ("poweroff", "aborted", "teleported")
#: States that keep a saved machine state, which a changed adapter would make unusable.
SAVED_STATES = ("saved", "aborted-saved")
_LIST_RE = re.compile(r'^"(.*)" \{([0-9a-fA-F-]+)\}\s*$')
_LINE_RE = re.compile(r'^("[^"]*"|[^=]+)=(.*)$')
#: ``showvminfo --machinereadable`` key of what each attachment connects to (``<key><N>``).
_NETWORK_KEYS = {word: key for word, _elements, key in _adapters.ATTACHMENTS if key}
NOT_INSTALLED = "VBoxManage is not installed on this host (VirtualBox is needed for vms; files can be given as path)"


def present(host):
    return host.which(PROGRAM) is not None


def _run(host, argv, what):
    rc, out, err = host.run_command([PROGRAM, *argv])
    if rc != 0:
        raise NicTuneError("%s %s failed (rc %d): %s" % (PROGRAM, what, rc, (err or out).strip()))
    return out


def list_vms(host, which="vms"):
    """``[(name, uuid)]`` from ``VBoxManage list vms`` (or ``runningvms``); uuid in lower case."""
    out = _run(host, ["list", which], "list " + which)
    found = []
    for line in out.splitlines():
        match = _LIST_RE.match(line)
        if match:
            found.append((match.group(1), match.group(2).lower()))
    return found


def parse_machinereadable(text):
    """``showvminfo --machinereadable`` output as a dict (keys and values without their quotes)."""
    values = {}
    for line in text.splitlines():
        match = _LINE_RE.match(line)
        if not match:
            continue
        key, value = match.group(1), match.group(2)
        if len(key) > 1 and key.startswith('"') and key.endswith('"'):
            key = key[1:-1]
        if len(value) > 1 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        values[key] = value
    return values


def vm_info(host, vm):
    """The machine-readable facts of VM ``vm`` (name or UUID); NicTuneError naming it when VirtualBox has no such VM."""
    rc, out, err = host.run_command([PROGRAM, "showvminfo", vm, "--machinereadable"])
    if rc != 0:
        raise NicTuneError("VM %s: %s" % (vm, (err or out).strip() or "VBoxManage showvminfo failed (rc %d)" % rc))
    return parse_machinereadable(out)


def adapters_of(info):
    """Adapter facts (see :mod:`.adapters`) from ``showvminfo`` facts; a disabled adapter shows only that."""
    found = []
    number = 1
    while "nic%d" % number in info:
        value = info["nic%d" % number]
        adapter = {
            "slot": number - 1,
            "enabled": value != "none",
            "type": None,
            "type_written": None,
            "mac": None,
            "attachment": None,
            "network": None,
            "cable_connected": None,
        }
        if adapter["enabled"]:
            attachment = value.lower()
            key = _NETWORK_KEYS.get(attachment)
            adapter.update(
                type=info.get("nictype%d" % number),
                mac=_adapters.vbox_mac(info.get("macaddress%d" % number)),
                attachment=attachment,
                network=info.get("%s%d" % (key, number)) if key else None,
                cable_connected=info.get("cableconnected%d" % number) == "on",
            )
        found.append(adapter)
        number += 1
    return found


def hold_reason(state):
    """Why a VM in ``state`` cannot have its adapter type changed now (None when it can)."""
    if state in EDITABLE_STATES:
        return None
    if state in SAVED_STATES:
        return (
            "the VM has a saved state (%s): a changed adapter would make it unusable; start the VM and shut it "
            "down (or discard the state), then run again" % state
        )
    return (
        "the VM is %s: VirtualBox changes the adapter type only while the VM is powered off (it keeps a running "
        "VM's settings in memory and writes them back when it stops); stop it, run again, then start it" % state
    )


class _Plan:
    def __init__(self, vm, info, entries, changes, fields):
        self.vm = vm
        self.info = info
        self.name = info.get("name") or vm
        self.state = info.get("VMState")
        self.entries = entries
        self.changes = changes
        self.fields = fields


def _targets(host, params):
    if params.get("domains"):
        raise NicTuneError("domains is only used with backend libvirt; give vms (VM names or UUIDs) instead")
    if not present(host):
        raise NicTuneError(NOT_INSTALLED)
    if params.get("vms"):
        return list(dict.fromkeys(params["vms"]))
    return [uuid for _name, uuid in list_vms(host)]


def _infos(host, vms):
    infos, problems = [], []
    for vm in vms:
        try:
            infos.append((vm, vm_info(host, vm)))
        except NicTuneError as exc:
            problems.append(exc)
    if problems:
        if len(problems) == 1:
            raise NicTuneError(problems[0].reason + "; nothing was changed")
        raise NicTuneError("%d VMs cannot be read; nothing was changed" % len(problems), problems=problems)
    return infos


def _modify(host, vm, changes):
    """The only mutating command of this backend: ``VBoxManage modifyvm <vm> --nictype<N> <type> ...``."""
    if host.check_mode:
        return
    argv = ["modifyvm", vm]
    for slot, adapter_type in changes:
        argv += ["--nictype%d" % (slot + 1), adapter_type]
    _run(host, argv, "modifyvm %s" % vm)


def _listing(adapter_facts):
    """The adapters as ``showvminfo`` lines, for the diff."""
    lines = []
    for adapter in adapter_facts:
        n = adapter["slot"] + 1
        if not adapter["enabled"]:
            lines.append('nic%d="none"' % n)
            continue
        lines.append('nic%d="%s"' % (n, adapter["attachment"]))
        lines.append('nictype%d="%s"' % (n, adapter["type"]))
    return "".join(line + "\n" for line in lines)


def _read_back(host, plan):
    info = vm_info(host, plan.vm)
    types = {a["slot"]: a["type"] for a in adapters_of(info)}
    for slot, adapter_type in plan.changes:
        if types.get(slot) != adapter_type:
            raise NicTuneError(
                "VM %s reads back adapter type %s instead of %s on adapter %d"
                % (plan.name, types.get(slot), adapter_type, slot + 1)
            )
    return info


def _rollback(host, done):
    failed = []
    for plan in reversed(done):
        before = {e["slot"]: e["type_before"] for e in plan.entries}
        try:
            _modify(host, plan.vm, [(slot, before[slot]) for slot, _t in plan.changes])
        except NicTuneError as exc:
            failed.append("%s (%s)" % (plan.name, exc.reason))
    return failed


def _result(plan, info, changed):
    entry = dict(
        plan.fields,
        domain=info.get("name") or plan.name,
        uuid=(info.get("UUID") or "").lower() or None,
        path=info.get("CfgFile"),
        state=plan.state,
        os_type=info.get("ostype"),
        backend="virtualbox",
        changed=changed,
        restart_required=changed,
        nics=plan.entries,
    )
    entry.setdefault("pending", False)
    return entry


def apply(host, params, options):
    """nic_model for registered VMs (``vms``, or every VM VirtualBox knows). Returns the module result."""
    plans = []
    for vm, info in _infos(host, _targets(host, params)):
        name = info.get("name") or vm
        entries, changes, fields = _adapters.plan(adapters_of(info), options, host.warn, name)
        plan = _Plan(vm, info, entries, changes, fields)
        reason = hold_reason(plan.state) if changes else None
        if reason:
            _adapters.hold(entries, fields, reason, pending=True)
            plan.changes = []
        plans.append(plan)

    results, diffs, done = [], [], []
    for plan in plans:
        after = plan.info
        if plan.changes:
            try:
                _modify(host, plan.vm, plan.changes)
                if not host.check_mode:
                    done.append(plan)
                    after = _read_back(host, plan)
            except NicTuneError as exc:
                failed = _rollback(host, done)
                reason = "VM %s: VirtualBox did not take the adapter type: %s; " % (plan.name, exc.reason)
                if failed:
                    reason += "restoring the previous types FAILED for %s" % ", ".join(failed)
                else:
                    before = len([p for p in done if p is not plan])
                    reason += "nothing was changed (%d VM(s) changed before were restored)" % before
                raise NicTuneError(reason)
        changed = bool(plan.changes)
        results.append(_result(plan, after, changed))
        if changed and host.diff_mode:
            before_facts = adapters_of(plan.info)
            if host.check_mode:
                wanted = dict(plan.changes)
                after_facts = [dict(a, type=wanted.get(a["slot"], a["type"])) for a in before_facts]
            else:
                after_facts = adapters_of(after)
            diffs.append(
                {
                    "before": _listing(before_facts),
                    "after": _listing(after_facts),
                    "before_header": "VM %s (VBoxManage showvminfo, before)" % plan.name,
                    "after_header": "VM %s (VBoxManage showvminfo, after)" % plan.name,
                }
            )
    out = {"changed": any(r["changed"] for r in results), "results": results}
    if host.diff_mode:
        out["diff"] = diffs
    return out


def info(host, params):
    """nic_model_info for registered VMs: every VM (or those named), every adapter."""
    domains = []
    for vm, facts in _infos(host, _targets(host, params)):
        domains.append(
            {
                "domain": facts.get("name") or vm,
                "uuid": (facts.get("UUID") or "").lower() or None,
                "path": facts.get("CfgFile"),
                "state": facts.get("VMState"),
                "os_type": facts.get("ostype"),
                "backend": "virtualbox",
                "platform": "virtualbox",
                "nics": [_adapters.describe(a) for a in adapters_of(facts)],
            }
        )
    return {"changed": False, "domains": domains}
