# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Polling with a deadline, shared by the restarts of every backend (no Ansible imports)."""

from __future__ import annotations

import time

POLL_SECONDS = 0.5


def wait_until(predicate, timeout, sleep=time.sleep, clock=time.monotonic, poll=POLL_SECONDS):
    """Call ``predicate`` every ``poll`` seconds until it is true or ``timeout`` seconds passed; its last answer."""
    deadline = clock() + timeout
    while clock() < deadline:
        if predicate():
            return True
        sleep(poll)
    return predicate()
