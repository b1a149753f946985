# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nic_model / nic_model_info for persistent libvirt domains, through the libvirt API.

No Ansible imports, and ``libvirt`` is never imported here: :mod:`.connection` loads the binding when a
task needs it and passes it in, so tests can pass the real binding opened on ``test:///default``.

``host`` is used for ``check_mode``, ``diff_mode``, ``warn(msg)`` and (to ask a local emulator which
models it offers) ``run_command``, ``recall`` and ``remember``. The one mutating call, ``defineXML``,
goes through ``_define``, which is where check mode is honoured.

Order of work: lock every selected domain (not in check mode; a lock file per domain UUID, see
:mod:`.._common.locks`), then read and plan every selected domain; validate the model of every NIC that
would change against the domain's emulator; only then define, one domain after the other, reading each
definition back; release the locks. If libvirt refuses one, the domains already defined get their
previous definition back and the error names the domain and NICs; nothing stays half-changed.
"""

from __future__ import annotations

import contextlib

from .._common import locks as _locks
from .._common.errors import NicTuneError
from . import domain_xml as _xml
from . import emulator as _qemu
from . import live as _live
from . import vhost as _vhost
from .connection import connect as _connect
from .connection import message as _message

STATE_NAMES = {
    0: "no state",
    1: "running",
    2: "idle",
    3: "paused",
    4: "in shutdown",
    5: "shut off",
    6: "crashed",
    7: "pmsuspended",
}


def _domains(libvirt, conn, uri, names, persistent_only):
    if names is None:
        flags = libvirt.VIR_CONNECT_LIST_DOMAINS_PERSISTENT if persistent_only else 0
        return sorted(conn.listAllDomains(flags), key=lambda d: d.name())
    found, missing = [], []
    for name in dict.fromkeys(names):
        try:
            found.append(conn.lookupByName(name))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                missing.append(name)
            else:
                raise NicTuneError("domain %s at %s: %s" % (name, uri, _message(exc)))
    if missing:
        raise NicTuneError("no such domain at %s: %s; nothing was changed" % (uri, ", ".join(missing)))
    if persistent_only:
        transient = [d.name() for d in found if not d.isPersistent()]
        if transient:
            raise NicTuneError(
                "domain(s) %s at %s are transient: they have no persistent definition to change"
                % (", ".join(transient), uri)
            )
    return found


def _state(dom):
    return STATE_NAMES.get(dom.state()[0], "unknown")


def _models_by_nic(domain):
    """``{mac or index: (model, queues)}`` of a parsed domain's NICs."""
    return {(nic["mac"] or nic["index"]): (nic["model"], nic["queues"]) for nic in domain.nics()}


def _live_differs(libvirt, dom, persistent):
    """True when the running definition of ``dom`` has other NIC models (or queues) than ``persistent``."""
    if not dom.isActive():
        return False
    live = _xml.Domain(dom.XMLDesc(0))
    return _models_by_nic(live) != _models_by_nic(persistent)


def _define(host, conn, xml_text):
    """The only mutating call of this backend. Returns the new domain object, or None in check mode."""
    if host.check_mode:
        return None
    return conn.defineXML(xml_text)


def _label(name, nics):
    parts = ["NIC %d%s" % (n["index"], " (%s)" % n["mac"] if n["mac"] else "") for n in nics]
    return "domain %s, %s" % (name, ", ".join(parts) if parts else "no NIC")


class _Plan:
    def __init__(self, dom, *, old_xml, new_xml, result, domain, state):
        self.dom = dom
        self.name = dom.name()
        self.old_xml = old_xml
        self.new_xml = new_xml
        self.result = result
        self.domain = domain
        self.state = state
        self.changing = [n for n in result["nics"] if n["changed"]]
        self.method = "config"  # or "live": the running domain's NICs are swapped too
        self.method_reason = None
        self.swaps = []  # (mac, old element, new element, model) of the running domain


def _plan_live(libvirt, plan, options):
    """Decide how ``plan``'s change reaches the running domain (``options["apply"]``: config, live or auto)."""
    wanted = options.get("apply") or "config"
    if wanted == "config" or not plan.changing:
        plan.method_reason = "apply is config: the persistent definition only" if wanted == "config" else None
        return
    running = bool(plan.dom.isActive())
    live_xml = plan.dom.XMLDesc(0).encode("utf-8") if running else None
    live_domain = _xml.Domain(live_xml) if running else None
    live_nics = {nic["mac"]: nic for nic in live_domain.nics()} if running else {}
    changing = [live_nics.get(nic["mac"]) for nic in plan.changing]
    blocker = None
    if running and any(nic is None for nic in changing):
        blocker = "a NIC to change is not in the running domain (it differs from the persistent definition)"
    blocker = blocker or _live.live_blocker(live_domain, [n for n in changing if n], running)
    if blocker:
        if wanted == "live":
            raise NicTuneError("domain %s: apply is live, but %s" % (plan.name, blocker))
        plan.method_reason = "%s: the new model takes effect at the next restart" % blocker
        return
    macs = [nic["mac"] for nic in changing]
    swapped, _result, _domain = _xml.plan(live_xml, dict(options, match={"mac": macs}), lambda _msg: None)
    swapped_domain = _xml.Domain(swapped)
    for nic in plan.changing:
        old = _live.portable(_live.interface_xml(live_domain, nic["mac"]))
        new = _live.portable(_live.interface_xml(swapped_domain, nic["mac"]))
        plan.swaps.append((nic["mac"], old, new, nic["model_after"]))
    plan.method = "live"
    plan.method_reason = "the running domain's NICs are swapped (unplug, then plug the new model with the same MAC)"


def _validate(host, uri, plans):
    """Every model that would be set must be one the domain's emulator offers."""
    problems = []
    offers = {}
    unchecked = []
    for plan in plans:
        if not plan.changing:
            continue
        domain = plan.domain
        if domain.domain_type not in ("qemu", "kvm") or not _qemu.is_local_uri(uri) or not domain.emulator:
            unchecked.append(plan.name)
            continue
        try:
            offered = _qemu.offered_models(host, domain.emulator)
        except NicTuneError as exc:
            problems.append(NicTuneError("domain %s: %s" % (plan.name, exc.reason)))
            continue
        for nic in plan.changing:
            facts = domain.nic(nic["index"])
            why = _qemu.check_offered(nic["model_after"], facts["address_type"], offered)
            if why:
                offers[domain.emulator] = _qemu.describe_offered(offered)
                problems.append(
                    NicTuneError(
                        "%s: model %s is not offered by emulator %s (%s)"
                        % (_label(plan.name, [nic]), nic["model_after"], domain.emulator, why)
                    )
                )
    if unchecked:
        host.warn(
            "the model was not checked against the emulator of %s: libvirt at %s is not a local QEMU driver, so its "
            "emulator cannot be asked; QEMU refuses an unknown model only when the domain starts"
            % (", ".join(unchecked), uri)
        )
    if problems:
        offered_text = "; ".join("%s offers: %s" % (path, ", ".join(names)) for path, names in sorted(offers.items()))
        if len(problems) == 1:
            raise NicTuneError(problems[0].reason + "; nothing was changed" + (". " + offered_text if offers else ""))
        raise NicTuneError(
            "%d NICs cannot take the model; nothing was changed%s"
            % (len(problems), ". " + offered_text if offers else ""),
            problems=problems,
        )


def _rollback(host, conn, done):
    failed = []
    for plan in reversed(done):
        try:
            _define(host, conn, plan.old_xml)
        except Exception as exc:  # pylint: disable=broad-except
            failed.append("%s (%s)" % (plan.name, _message(exc)))
    return failed


def _diff(plan, after):
    return {
        "before": plan.old_xml,
        "after": after,
        "before_header": "%s (persistent definition, before)" % plan.name,
        "after_header": "%s (persistent definition, after)" % plan.name,
    }


def apply(host, libvirt, uri, domains, options):
    """nic_model with backend libvirt. Returns the module result (changed, results, diff).

    Outside check mode every selected domain is locked (:func:`.._common.locks.named_lock`, by UUID, in UUID order)
    before its definition is read, until after it is defined, so concurrent runs on one host never lose a change.
    """
    conn = _connect(libvirt, uri)
    try:
        doms = _domains(libvirt, conn, uri, domains, persistent_only=True)
        with contextlib.ExitStack() as held:
            if not host.check_mode:
                for dom in sorted(doms, key=lambda d: d.UUIDString()):
                    what = "domain %s at %s" % (dom.name(), uri)
                    held.enter_context(_locks.named_lock("libvirt-domain-%s" % dom.UUIDString(), what))
            return _apply(host, libvirt, conn, uri=uri, doms=doms, options=options)
    finally:
        conn.close()


def _apply(host, libvirt, conn, *, uri, doms, options):
    plans = []
    problems = []
    for dom in doms:
        old_xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        try:
            new_data, result, domain = _xml.plan(old_xml.encode("utf-8"), options, host.warn)
        except NicTuneError as exc:
            problems.append(NicTuneError("domain %s: %s" % (dom.name(), exc.reason)))
            continue
        plans.append(
            _Plan(
                dom, old_xml=old_xml, new_xml=new_data.decode("utf-8"), result=result, domain=domain, state=_state(dom)
            )
        )
    if problems:
        if len(problems) == 1:
            raise NicTuneError(problems[0].reason + "; nothing was changed")
        raise NicTuneError("%d domains cannot be changed; nothing was changed" % len(problems), problems=problems)
    _validate(host, uri, plans)
    for plan in plans:
        _plan_live(libvirt, plan, options)

    done = []
    results, diffs = [], []
    for plan in plans:
        after_xml = plan.old_xml
        if plan.changing:
            try:
                new_dom = _define(host, conn, plan.new_xml)
                if new_dom is None:
                    after_xml = plan.new_xml
                else:
                    done.append(plan)
                    after_xml = new_dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
                    _check_read_back(plan, after_xml)
            except (libvirt.libvirtError, NicTuneError) as exc:
                failed = _rollback(host, conn, done)
                reason = "%s: libvirt did not take model %s: %s; " % (
                    _label(plan.name, plan.changing),
                    plan.changing[0]["model_after"],
                    exc.reason if isinstance(exc, NicTuneError) else _message(exc),
                )
                if failed:
                    reason += "restoring the previous definition FAILED for %s" % ", ".join(failed)
                else:
                    reason += "nothing was changed (%d domain(s) defined before were restored)" % len(done)
                raise NicTuneError(reason)
        pending = None
        if plan.swaps and not host.check_mode:
            try:
                swapped = _live.swap(libvirt, plan.dom, plan.swaps, options.get("detach_timeout") or 20)
            except NicTuneError as exc:
                failed = _rollback(host, conn, done)
                raise NicTuneError(
                    "domain %s: %s; %s"
                    % (
                        plan.name,
                        exc.reason,
                        "restoring the previous definition FAILED for %s" % ", ".join(failed)
                        if failed
                        else "the persistent definitions were put back (%d domain(s))" % len(done),
                    )
                )
            pending = swapped["pending"]
        after = _xml.Domain(after_xml)
        changed = after_xml != plan.old_xml if not host.check_mode else bool(plan.changing)
        entry = dict(
            plan.result,
            backend="libvirt",
            uuid=after.uuid,
            state=plan.state,
            changed=changed,
            apply_method="config" if pending else plan.method,
            apply_reason=pending or plan.method_reason,
            live_pending=bool(pending),
            # in check mode a live swap is only planned: the running domain would match the definition after it
            restart_required=not (host.check_mode and plan.method == "live")
            and _live_differs(libvirt, plan.dom, after),
        )
        if not changed:
            for nic in entry["nics"]:
                nic["changed"] = False
        results.append(entry)
        if changed and host.diff_mode:
            diffs.append(_diff(plan, after_xml))
    out = {"changed": any(r["changed"] for r in results), "results": results}
    if host.diff_mode:
        out["diff"] = diffs
    return out


def _check_read_back(plan, after_xml):
    """libvirt must have kept the new models and queues (a definition it silently altered is an error)."""
    after = _xml.Domain(after_xml)
    models = _models_by_nic(after)
    for nic in plan.changing:
        model, queues = models.get(nic["mac"] or nic["index"], (None, None))
        if model != nic["model_after"]:
            raise NicTuneError(
                "read back model %s instead of %s for NIC %d" % (model, nic["model_after"], nic["index"])
            )
        if (queues or 1) != (nic["queues_after"] or 1):
            raise NicTuneError(
                "read back %s queue(s) instead of %s for NIC %d" % (queues or 1, nic["queues_after"] or 1, nic["index"])
            )


def _offered_for(host, uri, emulator):
    """libvirt model names the domain's emulator offers; None where it cannot be asked (remote, test driver)."""
    if not emulator or not _qemu.is_local_uri(uri):
        return None
    try:
        return _qemu.describe_offered(_qemu.offered_models(host, emulator))
    except NicTuneError as exc:
        host.warn("cannot list the NIC models of %s: %s" % (emulator, exc))
        return None


def _vhost_for(uri, read_vhost):
    """The host's vhost-net facts, read once per task, where ``uri`` is a QEMU driver on this host (else None)."""
    return (read_vhost or _vhost.read)() if _qemu.is_local_uri(uri) else None


def info(host, libvirt, uri, domains, read_vhost=None):
    """nic_model_info with backend libvirt: every persistent domain (or the named ones).

    Each QEMU/KVM domain of a local URI gets the host's vhost-net facts (``host_vhost_net``: ``{"loaded",
    "device"}``, read once by ``read_vhost``, default :func:`.vhost.read`); elsewhere they are None (unknown).
    """
    conn = _connect(libvirt, uri, read_only=True)
    try:
        out = []
        vhost = _vhost_for(uri, read_vhost)
        for dom in _domains(libvirt, conn, uri, domains, persistent_only=False):
            persistent = bool(dom.isPersistent())
            flags = libvirt.VIR_DOMAIN_XML_INACTIVE if persistent else 0
            domain = _xml.Domain(dom.XMLDesc(flags))
            entry = _xml.describe(domain)
            entry.update(
                backend="libvirt",
                state=_state(dom),
                persistent=persistent,
                restart_required=bool(persistent and _live_differs(libvirt, dom, domain)),
                offered_models=_offered_for(host, uri, entry.get("emulator")),
                host_vhost_net=dict(vhost) if vhost is not None and entry["domain_type"] in ("qemu", "kvm") else None,
            )
            out.append(entry)
        return {"changed": False, "domains": out}
    finally:
        conn.close()
