# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VirtualBox file backend of nic_model / nic_model_info: ``.vbox`` machine settings files (no Ansible imports).

:func:`plan_file` and :func:`describe_file` are pure: bytes in, new bytes and a result out. What the host knows
comes in through ``options["host_facts"]``, which :func:`host_facts` gathers once per task: where ``VBoxManage``
is installed, which machines VirtualBox has registered and which of them run. A file is edited only when
VirtualBox does not hold its machine:

* a running machine is reported as pending (VirtualBox writes its in-memory settings over the file when the VM
  stops); so is a machine with a saved state (``stateFile``: a changed adapter would make the state unusable);
* a machine registered with VirtualBox on this host is left alone with a reason that names ``vms``: VBoxSVC keeps
  its settings in memory and would write them over an edited file, ``VBoxManage modifyvm`` is the way to change it.
"""

from __future__ import annotations

from .._common.xml_scan import file_head
from . import adapters as _adapters
from . import manage as _manage
from .settings import NAMESPACES, MachineSettings

SUFFIXES = (".vbox",)


def host_facts(host):
    """What the host says about VirtualBox: ``{"vboxmanage", "registered": {uuid: name}, "running": {uuid: name}}``."""
    if not _manage.present(host):
        return {"vboxmanage": False, "registered": {}, "running": {}}
    registered = {uuid: name for name, uuid in _manage.list_vms(host, "vms")}
    running = {uuid: name for name, uuid in _manage.list_vms(host, "runningvms")}
    return {"vboxmanage": True, "registered": registered, "running": running}


def _hold_reason(settings, facts):
    """``(reason, pending, state)``: why the machine of ``settings`` must not be edited now (reason None: it may)."""
    uuid = settings.uuid
    if uuid in facts.get("running", {}):
        return _manage.hold_reason("running"), True, "running"
    if settings.saved_state:
        return _manage.hold_reason("saved"), True, "saved"
    if uuid in facts.get("registered", {}):
        name = facts["registered"][uuid]
        reason = (
            "VM %s is registered with VirtualBox on this host, which keeps its settings in memory and would write "
            "them over an edited file: change it with backend virtualbox and vms: [%s] (VBoxManage modifyvm)"
            % (name, name)
        )
        return reason, False, None
    return None, False, None


def plan_file(path, data, options, warn):
    """nic_model on one ``.vbox`` file: ``(new_data, result)``; NicTuneError on a file VirtualBox would refuse."""
    settings = MachineSettings(data, path)
    entries, changes, fields = _adapters.plan(settings.adapters, options, warn, settings.label())
    reason, pending, state = _hold_reason(settings, options.get("host_facts") or {})
    if changes and reason:
        _adapters.hold(entries, fields, reason, pending)
        changes = []
    result = dict(
        fields,
        domain=settings.name,
        uuid=settings.uuid,
        state=state,
        os_type=settings.os_type,
        settings_version=settings.version_text,
        nics=entries,
    )
    result.setdefault("pending", False)
    return (settings.edit(changes) if changes else data), result


def describe_file(path, data, warn):
    """nic_model_info on one ``.vbox`` file: the machine and every adapter, disabled ones included."""
    settings = MachineSettings(data, path)
    return {
        "domain": settings.name,
        "uuid": settings.uuid,
        "state": None,
        "saved_state": settings.saved_state,
        "os_type": settings.os_type,
        "settings_version": settings.version_text,
        "platform": "virtualbox",
        "nics": [_adapters.describe(a) for a in settings.adapters],
    }


def sniff(path):
    """True for ``.vbox`` files, and for other files whose first bytes open a VirtualBox settings document."""
    if path.lower().endswith(SUFFIXES):
        return True
    head = file_head(path) or b""
    return b"<VirtualBox" in head and any(ns.encode("ascii") in head for ns in NAMESPACES)
