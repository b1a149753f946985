# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter iperf3_summary (docs in iperf3_summary.yml)."""

from __future__ import annotations

from ansible_collections.nictune.fleet.plugins.module_utils._probe import iperf3
from ansible_collections.nictune.fleet.plugins.plugin_utils.data import plain


def iperf3_summary(data, direction=None):
    """iperf3 -J output (text or parsed) -> summary dict (see the core's docstring)."""
    return iperf3.summarize(plain(data), direction)


class FilterModule:
    def filters(self):
        return {"iperf3_summary": iperf3_summary}
