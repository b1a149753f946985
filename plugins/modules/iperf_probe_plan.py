#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iperf_probe_plan
short_description: Plan an iperf3 probe of many guests against shared endpoints (controller-side step)
version_added: 0.2.0
description:
  - The planning step of the P(nictune.fleet.iperf_probe#role) role, run once on the controller.
  - Checks every probe setting first and names the role variable of a bad one.
  - Without O(guests), only checks the settings (the role does this before it touches any host) and names the run's
    lease on the endpoints (C(lease)). The role takes each endpoint's lease before it plans, so that concurrent
    probe runs sharing an endpoint take turns on it.
  - With O(guests), assigns each guest's tests to an endpoint (its C(iperf_probe_endpoint) or the next one in
    turn), schedules them so no endpoint and no guest runs two tests at once while different endpoints work in
    parallel, and says what each guest runs (iperf3 arguments, start times on the guest's own clock) and when the
    controller collects whom.
  - Reads, per guest, the clock offset and whether iperf3 is there from the record the role's prepare step leaves
    (C(__iperf_probe_guest)), and per endpoint the address to connect to (C(iperf_probe_endpoint_address), else
    C(ansible_host), else its name).
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - nictune.fleet.controller_step
attributes:
  check_mode:
    description: Plans only; changes nothing in any mode.
options:
  guests:
    description: The guests to probe. Omit to check the settings only.
    type: list
    elements: str
  endpoints:
    description: The reference endpoints (inventory hosts running the iperf3 servers).
    type: list
    elements: str
    required: true
  directions:
    description: Directions to test; V(send) is guest to endpoint, V(receive) endpoint to guest (iperf3 C(-R)).
    type: list
    elements: str
    default: [send, receive]
  settings:
    description:
      - The probe settings, each named after its role variable without the C(iperf_probe_) prefix (C(duration),
        C(omit), C(parallel), C(window), C(port), C(gap), C(timeout), C(connect_timeout), C(stall_timeout),
        C(busy_wait), C(start_margin), C(lease_timeout)).
    type: dict
    required: true
  guest_count:
    description:
      - Without O(guests), the number of guests of the probe, for the bound on how long an endpoint's lease is kept
        (C(lease.hold)).
    type: int
    default: 0
  down:
    description: Endpoints that could not be prepared, mapped to the reason; their tests are planned as failed.
    type: dict
    default: {}
  progress:
    description: Collect each guest as soon as its tests end (one line per finished test), rather than all at the end.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Check the probe settings before anything is touched
  nictune.fleet.iperf_probe_plan:
    endpoints: "{{ iperf_probe_endpoints }}"
    settings: {duration: 10, omit: 1, parallel: 1, window: "", port: 5215, gap: 1, timeout: 20,
               connect_timeout: 5, stall_timeout: 10, busy_wait: 15, start_margin: 0, lease_timeout: 900}
    guest_count: "{{ ansible_play_hosts | length }}"
  register: __checked
  run_once: true
"""

RETURN = r"""
settings:
  description: The settings, checked and as numbers.
  type: dict
  returned: always
lease:
  description:
    - The run's request for the endpoints' leases - C(run) (the run's id, unique), C(owner) (user, controller,
      ansible-playbook's pid and the AWX job when there is one, in words), C(hold) (seconds after which a lease the
      run did not release ends by itself - its other endpoints' lease timeouts, the start margin, every test at its
      longest, the busy wait and 120 s) and C(timeout) (seconds to wait for an endpoint another run holds).
  type: dict
  returned: when guests are not given
  sample: {run: 20250101T120000Z-1a2b3c4d, owner: "alice@ctl, ansible-playbook pid 4242", hold: 542, timeout: 900}
tests:
  description: Every test with C(host), C(endpoint), C(direction), C(runnable) and the C(reason) when it cannot run.
  type: list
  elements: dict
  returned: when guests are given
schedule:
  description: The timeline (C(slot), C(gap), C(start), C(rounds), C(span), C(tests), C(endpoints)).
  type: dict
  returned: when guests are given
lines:
  description: The schedule as printable lines.
  type: list
  elements: str
  returned: when guests are given
points:
  description: When the controller collects which guests (C(at) epoch seconds, C(hosts)).
  type: list
  elements: dict
  returned: when guests are given
plans:
  description: Per guest, what its runner does (C(tests) with iperf3 C(args) and start times on its clock, C(finish)).
  type: dict
  returned: when guests are given
"""
