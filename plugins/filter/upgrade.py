# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter nic_model_compare (docs in nic_model_compare.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.plan import compare


def nic_model_compare(after, before, threshold=0.1):
    """Verdict on throughput ``after`` a switch against ``before`` (dicts with send_bps and receive_bps)."""
    try:
        return compare(before, after, threshold)
    except NicTuneError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {"nic_model_compare": nic_model_compare}
