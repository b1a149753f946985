# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values of the Proxmox options, for the backend and for the argument specs (no Ansible imports).

Kept apart so that the argument specs of nic_model and nic_model_info can name them without loading the
Proxmox backend on hosts that are not Proxmox nodes.
"""

from __future__ import annotations

# proxmox_pending: what to do with a NIC whose change is already pending (see .backend)
PENDING_MODES = ("skip", "replace")
# proxmox_mode: how changes are made (see .qm)
MODES = ("auto", "qm", "file")
