#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iperf_probe_results
short_description: Gather the results of an iperf3 probe and write its report (controller-side step)
version_added: 0.2.0
description:
  - The results step of the P(nictune.fleet.iperf_probe#role) role, run once on the controller.
  - One row per planned test from what each guest's runner printed (read from the C(async_status) result the role
    keeps per guest, C(__iperf_probe_collected)); a row with the reason for every test that could not run or gave no
    result, and for every guest that failed before its tests were planned.
  - Times each test by its endpoint's clock where the endpoint's server timing log (O(logs)) knows the test, and
    reports tests that overlapped on an endpoint.
  - With O(report), writes C(report.json), C(report.csv), C(report.md) and a self-contained C(report.html) into
    O(report_dir), unless in check mode (then it says so and writes nothing).
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - nictune.fleet.controller_step
attributes:
  check_mode:
    description: Gathers the results but writes no report.
options:
  plan:
    description: The registered result of M(nictune.fleet.iperf_probe_plan).
    type: dict
    required: true
  guests:
    description: The guests whose results to gather (a subset while the probe runs, for progress lines).
    type: list
    elements: str
    required: true
  directions:
    description: The directions probed.
    type: list
    elements: str
    default: [send, receive]
  logs:
    description: Each endpoint's server timing log text, by endpoint name.
    type: dict
    default: {}
  report:
    description: Write the report files.
    type: bool
    default: false
  report_dir:
    description: Where to write them (C(nictune_report_dir)); default C(./nictune-reports/<UTC time>).
    type: str
  report_subdir:
    description:
      - A sub-directory of O(report_dir) for this probe's files (the upgrade's C(probe-before) and C(probe-after)).
    type: str
    default: ""
  title:
    description: Title of the report.
    type: str
    default: nictune.fleet iperf3 probe
  baseline:
    description: An earlier C(report.json) to compare with (the page then shows before and after bars).
    type: path
  meta:
    description: Facts of the run shown in the report (C(probe_start) epoch seconds, settings).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Gather the results and write the report
  nictune.fleet.iperf_probe_results:
    plan: "{{ __iperf_probe_plan }}"
    guests: "{{ ansible_play_hosts_all }}"
    report: true
  run_once: true
"""

RETURN = r"""
rows:
  description: Every result row (host, endpoint, direction, bits_per_second, error, start, end, ...).
  type: list
  elements: dict
  returned: always
by_host:
  description: The rows of each guest.
  type: dict
  returned: always
throughput:
  description: Per guest, C(send_bps), C(receive_bps) and C(errors).
  type: dict
  returned: always
lines:
  description: One line per test (the result, or why it failed).
  type: list
  elements: str
  returned: always
summary:
  description: One line for the probe as a whole.
  type: str
  returned: always
overlaps:
  description: Pairs of tests that overlapped on an endpoint (none expected).
  type: list
  elements: dict
  returned: always
report_dir:
  description: The report directory.
  type: str
  returned: when report is true
written:
  description: The report files written (empty in check mode).
  type: list
  elements: str
  returned: when report is true
"""
