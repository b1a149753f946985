# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by nic_model and nic_model_info: where the domains are.
    DOCUMENTATION = r"""
options:
  backend:
    description:
      - Where the domain definitions live.
      - V(xen) edits Xen xl.cfg files (and legacy xm files that stay inside xl's grammar).
      - V(libvirt) changes persistent domain definitions through the libvirt API at O(uri).
      - V(libvirt_xml) edits libvirt domain XML files kept outside libvirt (for example in git).
      - V(proxmox) works on Proxmox VE qemu-server VM configs (C(/etc/pve/qemu-server/<vmid>.conf)), given by
        O(path) or by O(vmids) and O(node), through C(qm set) or by editing the files (see O(proxmox_mode)).
        Without O(path) and O(vmids), every VM of this node (C(/etc/pve/qemu-server/*.conf)).
      - V(virtualbox) edits VirtualBox machine settings files (C(.vbox)) given as O(path), or, without O(path),
        changes the VMs registered with VirtualBox (O(vms)) through C(VBoxManage). See the notes.
      - V(auto) uses V(proxmox) when O(vmids) is given or every O(path) is a C(qemu-server/<vmid>.conf) file,
        V(virtualbox) for C(.vbox) files and files that open a VirtualBox settings document, V(libvirt_xml) for
        files ending in C(.xml) or starting with C(<), V(xen) for other files, and V(libvirt) when neither O(path)
        nor O(vmids) is given (V(virtualbox) when O(vms) is given).
    type: str
    choices: [auto, xen, libvirt, libvirt_xml, proxmox, virtualbox]
    default: auto
  path:
    description:
      - Configuration files to work on (backends V(xen), V(libvirt_xml), V(proxmox) and V(virtualbox)), each a file
        or a glob,
        so every domain of a host is handled by one task.
      - A literal path that does not exist is an error; a glob that matches no file gives a warning.
      - An empty list is an error (it never stands for every domain); leave O(path) out to use O(backend=libvirt).
      - A symlink is followed; its target is edited and the link stays.
      - Only regular files are read, of at most 8 MiB; a FIFO, a device, a socket or a directory given here is
        refused before it is read (a glob skips them).
    type: list
    elements: path
  uri:
    description:
      - libvirt connection URI (backend V(libvirt)).
    type: str
    default: qemu:///system
  domains:
    description:
      - Names of the libvirt domains to work on (backend V(libvirt)). Every persistent domain when omitted.
    type: list
    elements: str
  vms:
    description:
      - Names or UUIDs of the VMs registered with VirtualBox to work on (backend V(virtualbox) without O(path)),
        reached through C(VBoxManage). Every registered VM when omitted.
    type: list
    elements: str
  vmids:
    description:
      - Proxmox VE VM ids to work on (backend V(proxmox)), instead of O(path). Their configs are
        C(/etc/pve/qemu-server/<vmid>.conf), or C(/etc/pve/nodes/<node>/qemu-server/<vmid>.conf) with O(node).
    type: list
    elements: int
  node:
    description:
      - Proxmox VE cluster node whose VMs O(vmids) names (backend V(proxmox)). Default is this node.
      - C(qm) works on the VMs of the node it runs on only; a change to a VM of another node needs
        O(proxmox_mode=file), or the task run on that node.
    type: str
  proxmox_mode:
    description:
      - How backend V(proxmox) reaches Proxmox VE.
      - V(qm) runs C(qm list) once to learn which VMs run, and C(qm set <vmid> --digest <sha1> --netN <value>) for
        every VM that changes, as Proxmox's own tools do. Proxmox then takes its config lock, refuses the change if
        the file changed since it was read (the digest), and, for a running VM whose C(hotplug) includes
        C(network) (the default), hot-swaps the NIC (unplug the old one, plug one of the new model with the same
        MAC); otherwise the change waits in C([PENDING]) until the VM restarts. This is the right mode on a live
        Proxmox VE node, and the only safe one on a cluster, where C(/etc/pve) is the shared cluster file
        system (pmxcfs) and a direct write bypasses Proxmox's lock.
      - V(file) edits the config files directly (atomic write, diff, backup), changing only the model token of
        the current configuration. It is right for hosts where Proxmox VE does not run (configs restored from a
        backup or kept in git, a node being repaired) and for VMs known to be stopped on a standalone node.
        Proxmox reads the file at the VM's next start.
      - V(auto) uses V(qm) where the host has the C(qm) program, V(file) elsewhere.
      - nic_model_info uses C(qm list) (modes V(auto) and V(qm)) only to report each VM's state.
    type: str
    choices: [auto, qm, file]
    default: auto
"""

    MATCH = r"""
options:
  match:
    description:
      - Which NICs to select. Every key given must hold; within a key, any of the listed values will do.
        Without O(match), every NIC of every domain is selected.
      - A O(match) that selects no NIC in any domain of the task gives a warning.
    type: dict
    suboptions:
      index:
        description:
          - Position of the NIC in the domain (0 is the first vif entry or C(<interface>)); for Proxmox VE the N of
            C(netN).
          - For VirtualBox the adapter slot as the C(.vbox) file counts it (C(slot="0")); C(VBoxManage) counts from 1
            (C(--nictype1) is slot 0).
        type: list
        elements: int
      mac:
        description: MAC address of the NIC (any case, C(:) or C(-) separated).
        type: list
        elements: str
      bridge:
        description:
          - Bridge (Xen and Proxmox C(bridge=), libvirt C(<source bridge>)) or libvirt network the NIC is attached
            to.
          - For VirtualBox the host interface or network name of the attachment (bridged, host-only, internal, NAT
            network); NAT adapters have none.
        type: list
        elements: str
      model:
        description:
          - Model in force now (for Xen HVM NICs without C(model=), that is V(rtl8139)).
          - For VirtualBox either the catalogue's model (V(e1000) selects all three Intel adapter types) or
            VirtualBox's adapter type name.
          - For Proxmox VE, the model as written (V(e1000-82545em)) or its catalogue name (V(e1000)).
        type: list
        elements: str
      attachment:
        description:
          - VirtualBox only. The attachment type of the adapter, as C(VBoxManage) names it (V(nat), V(bridged),
            V(hostonly), V(intnet), V(natnetwork), V(generic), V(null) for not attached ...).
        type: list
        elements: str
"""
