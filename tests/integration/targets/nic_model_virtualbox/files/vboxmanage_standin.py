# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for VBoxManage (run through the VBoxManage script beside it): no VirtualBox runs on the test machines.

It answers the few commands the collection runs from a JSON state file, in VBoxManage's output formats, and
records every call, so tests check the exact commands up to VirtualBox's boundary. It is not VirtualBox: it
knows nothing of settings files, and its rules are only those the collection depends on (modifyvm refused
unless powered off or aborted, unknown VM or adapter type refused).

NICTUNE_VBOX_STATE  the state: {"vms": [{"name", "uuid", "state", "cfg", "ostype", "acpi_polls",
                    "adapters": [null (disabled) or {"attachment", "type", "mac", "cable", "network"}]}]}
                    acpi_polls: showvminfo calls after acpipowerbutton until the VM is off (null: never)
NICTUNE_VBOX_LOG    one JSON list per call: the arguments after the program name
"""

from __future__ import annotations

import json
import os
import sys

TYPES = ("Am79C970A", "Am79C973", "Am79C960", "82540EM", "82543GC", "82545EM", "virtio")
NETWORK_KEYS = {
    "bridged": "bridgeadapter",
    "intnet": "intnet",
    "hostonly": "hostonlyadapter",
    "natnetwork": "nat-network",
    "generic": "generic",
}


def fail(message):
    sys.stderr.write("VBoxManage: error: %s\n" % message)
    sys.exit(1)


def find(state, ident):
    for vm in state["vms"]:
        if ident in (vm["name"], vm["uuid"]):
            return vm
    return fail("Could not find a registered machine named '%s'" % ident)


def showvminfo(vm):
    if vm.get("stopping_in") is not None:
        vm["stopping_in"] -= 1
        if vm["stopping_in"] <= 0:
            vm["state"], vm["stopping_in"] = "poweroff", None
    lines = [
        ("name", vm["name"]),
        ("ostype", vm.get("ostype", "Other")),
        ("UUID", vm["uuid"]),
        ("CfgFile", vm.get("cfg", "/nonexistent/%s.vbox" % vm["name"])),
        ("VMState", vm["state"]),
    ]
    for n, nic in enumerate(vm["adapters"], 1):
        if nic is None:
            lines.append(("nic%d" % n, "none"))
            continue
        if nic["attachment"] == "nat":
            lines.append(("natnet%d" % n, "nat"))
        elif nic["attachment"] in NETWORK_KEYS:
            lines.append(("%s%d" % (NETWORK_KEYS[nic["attachment"]], n), nic.get("network", "")))
        lines += [
            ("macaddress%d" % n, nic["mac"]),
            ("cableconnected%d" % n, "on" if nic.get("cable", True) else "off"),
            ("nic%d" % n, nic["attachment"]),
            ("nictype%d" % n, nic["type"]),
            ("nicspeed%d" % n, "0"),
        ]
    return "".join('%s="%s"\n' % line for line in lines)


def main(argv):
    state_file = os.environ["NICTUNE_VBOX_STATE"]
    with open(os.environ["NICTUNE_VBOX_LOG"], "a") as log:
        log.write(json.dumps(argv) + "\n")
    with open(state_file) as handle:
        state = json.load(handle)
    out = ""
    if argv[:2] == ["list", "vms"]:
        out = "".join('"%s" {%s}\n' % (vm["name"], vm["uuid"]) for vm in state["vms"])
    elif argv[:2] == ["list", "runningvms"]:
        out = "".join('"%s" {%s}\n' % (vm["name"], vm["uuid"]) for vm in state["vms"] if vm["state"] == "running")
    elif argv[:1] == ["showvminfo"] and argv[2:] == ["--machinereadable"]:
        out = showvminfo(find(state, argv[1]))
    elif argv[:1] == ["modifyvm"]:
        vm = find(state, argv[1])
        if vm["state"] not in ("poweroff", "aborted"):
            fail("The machine is not mutable (state is %s)" % vm["state"])
        options = argv[2:]
        for option, value in zip(options[::2], options[1::2]):
            number = option[len("--nictype") :]
            if not option.startswith("--nictype") or not number.isdigit():
                fail("the stand-in knows only --nictype<N>, not %s" % option)
            n = int(number)
            if value not in TYPES or not 0 < n <= len(vm["adapters"]) or vm["adapters"][n - 1] is None:
                fail("Invalid NIC type '%s' specified for NIC %d" % (value, n))
            vm["adapters"][n - 1]["type"] = value
    elif argv[:1] == ["controlvm"] and argv[2:] == ["acpipowerbutton"]:
        vm = find(state, argv[1])
        if vm["state"] != "running":
            fail("Machine '%s' is not currently running" % vm["name"])
        vm["stopping_in"] = vm.get("acpi_polls")
    elif argv[:1] == ["controlvm"] and argv[2:] == ["poweroff"]:
        vm = find(state, argv[1])
        vm["state"], vm["stopping_in"] = "poweroff", None
    elif argv[:1] == ["startvm"] and argv[2:] == ["--type", "headless"]:
        vm = find(state, argv[1])
        if vm["state"] not in ("poweroff", "aborted", "saved"):
            fail("The machine '%s' is already locked for a session (or being unlocked)" % vm["name"])
        vm["state"] = "running"
    else:
        fail("the stand-in does not know: %s" % " ".join(argv))
    with open(state_file, "w") as handle:
        json.dump(state, handle)
    sys.stdout.write(out)


if __name__ == "__main__":
    main(sys.argv[1:])
