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
      - V(virtualbox) edits VirtualBox machine settings files (C(.vbox)) given as O(path), or, without O(path),
        changes the VMs registered with VirtualBox (O(vms)) through C(VBoxManage). See the notes.
      - V(auto) uses V(virtualbox) for C(.vbox) files and files that open a VirtualBox settings document,
        V(libvirt_xml) for files ending in C(.xml) or starting with C(<), V(xen) for other files, and
        V(libvirt) when O(path) is not given (V(virtualbox) when O(vms) is given).
    type: str
    choices: [auto, xen, libvirt, libvirt_xml, virtualbox]
    default: auto
  path:
    description:
      - Configuration files to work on (backends V(xen), V(libvirt_xml) and V(virtualbox)), each a file or a glob,
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
          - Position of the NIC in the domain (0 is the first vif entry or C(<interface>)).
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
          - Bridge (Xen C(bridge=), libvirt C(<source bridge>)) or libvirt network the NIC is attached to.
          - For VirtualBox the host interface or network name of the attachment (bridged, host-only, internal, NAT
            network); NAT adapters have none.
        type: list
        elements: str
      model:
        description:
          - Model in force now (for Xen HVM NICs without C(model=), that is V(rtl8139)).
          - For VirtualBox either the catalogue's model (V(e1000) selects all three Intel adapter types) or
            VirtualBox's adapter type name.
        type: list
        elements: str
      attachment:
        description:
          - VirtualBox only. The attachment type of the adapter, as C(VBoxManage) names it (V(nat), V(bridged),
            V(hostonly), V(intnet), V(natnetwork), V(generic), V(null) for not attached ...).
        type: list
        elements: str
"""
