# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cold restart: libvirt against libvirt's own test driver (test:///default, no daemon), and the
xl command sequence up to its boundary (no Xen hypervisor runs here)."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt.restart import restart_libvirt
from ansible_collections.nictune.fleet.plugins.module_utils._xen.restart import restart_xen

libvirt = pytest.importorskip("libvirt", reason="libvirt-python is not installed in this environment")


def test_libvirt_running_domain_is_shut_down_and_started(make_host):
    res = restart_libvirt(make_host(check_mode=False), libvirt, "test:///default", "test", 5)
    assert res == {"changed": True, "was_running": True, "method": "shutdown"}


def test_libvirt_check_mode_changes_nothing(make_host):
    res = restart_libvirt(make_host(check_mode=True), libvirt, "test:///default", "test", 5)
    assert res["changed"] is True and res["method"] == "shutdown"


def test_libvirt_missing_domain_is_named(make_host):
    with pytest.raises(NicTuneError, match="domain nope not found at test:///default"):
        restart_libvirt(make_host(check_mode=False), libvirt, "test:///default", "nope", 5)


def test_libvirt_unreachable_daemon_names_the_uri(tmp_path, make_host):
    uri = "qemu:///system?socket=%s/none.sock" % tmp_path
    with pytest.raises(NicTuneError, match="cannot connect to libvirt at"):
        restart_libvirt(make_host(check_mode=False), libvirt, uri, "x", 5)


class Xl:
    """Records xl invocations; the domain stops after ``stops_after`` polls (None: never)."""

    def __init__(self, running=True, stops_after=1, create_rc=0):
        self.calls, self.running, self.stops_after, self.create_rc = [], running, stops_after, create_rc

    def __call__(self, argv):
        self.calls.append(" ".join(argv[1:]))
        verb = argv[1]
        if verb == "domid":
            if self.running and self.stops_after is not None and self.calls.count("shutdown web01"):
                self.stops_after -= 1
                if self.stops_after < 0:
                    self.running = False
            return (0 if self.running else 1), "", ""
        if verb == "destroy":
            self.running = False
        if verb == "create":
            return self.create_rc, "", "boom" if self.create_rc else ""
        return 0, "", ""


def fast(**kw):
    clock = iter(range(10**6))
    return dict(sleep=lambda s: None, clock=lambda: next(clock), **kw)


def test_xen_graceful_shutdown_then_create(make_host):
    xl = Xl(stops_after=1)
    res = restart_xen(make_host(check_mode=False, commands={"xl": xl}), "web01", "/etc/xen/web01.cfg", 30, **fast())
    assert res["method"] == "shutdown"
    assert xl.calls[1] == "shutdown web01" and xl.calls[-1] == "create /etc/xen/web01.cfg"
    assert "destroy web01" not in xl.calls


def test_xen_hard_stop_after_timeout(make_host):
    xl = Xl(stops_after=None)
    res = restart_xen(make_host(check_mode=False, commands={"xl": xl}), "web01", "/etc/xen/web01.cfg", 3, **fast())
    assert res["method"] == "destroy"
    assert xl.calls[-2:] == ["destroy web01", "create /etc/xen/web01.cfg"]


def test_xen_not_running_is_just_created_and_check_mode_runs_nothing_else(make_host):
    xl = Xl(running=False)
    res = restart_xen(make_host(check_mode=True, commands={"xl": xl}), "web01", "/c.cfg", 3, **fast())
    assert res["method"] == "start"
    assert xl.calls == ["domid web01"]
    res = restart_xen(make_host(check_mode=False, commands={"xl": xl}), "web01", "/c.cfg", 3, **fast())
    assert res["method"] == "start" and xl.calls[-1] == "create /c.cfg"


def test_xen_create_failure_names_the_file(make_host):
    with pytest.raises(NicTuneError, match=r"/c\.cfg.*xl create /c\.cfg failed: boom"):
        host = make_host(check_mode=False, commands={"xl": Xl(running=False, create_rc=1)})
        restart_xen(host, "web01", "/c.cfg", 3, **fast())
