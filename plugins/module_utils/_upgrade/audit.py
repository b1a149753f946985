# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit (no Ansible imports): every hypervisor's nic_model_info result -> one row per domain NIC,
the fleet's counts, one summary line per hypervisor, and the report the shared writer renders."""

from __future__ import annotations

from .._common.errors import NicTuneError

COLUMNS = ("hypervisor", "domain", "path", "guest_type", "index", "mac", "bridge", "model", "model_explicit")


def _domains(hypervisor, result):
    if isinstance(result, dict):
        result = result.get("domains")
    if result is None:
        return []
    if not isinstance(result, (list, tuple)):
        raise NicTuneError(
            "audit: %s: expected a nic_model_info result or its domains list, got %s"
            % (hypervisor, type(result).__name__)
        )
    return result


def rows(results):
    """``{hypervisor: nic_model_info result}`` -> one row per domain NIC."""
    out = []
    for hypervisor, result in results.items():
        for domain in _domains(hypervisor, result):
            for nic in domain.get("nics") or ():
                if nic.get("enabled") is False:
                    continue  # a VirtualBox adapter slot that is switched off is no NIC of the guest
                out.append(
                    {
                        "hypervisor": str(hypervisor),
                        "domain": domain.get("domain"),
                        "path": domain.get("path"),
                        "guest_type": domain.get("guest_type"),
                        "index": nic.get("index"),
                        "mac": nic.get("mac"),
                        "bridge": nic.get("bridge"),
                        "model": nic.get("model"),
                        "model_explicit": nic.get("model_explicit"),
                    }
                )
    return out


def counts(results, failed=0):
    """The fleet's counts: hypervisors (and how many failed), domains, NICs per model, domains still on rtl8139."""
    domains = [d for h, r in results.items() for d in _domains(h, r)]
    nic_rows = rows(results)
    models = {}
    for row in nic_rows:
        if row["model"] is not None:
            models[row["model"]] = models.get(row["model"], 0) + 1
    return {
        "hypervisors": len(results),
        "hypervisors_failed": failed,
        "domains": len(domains),
        "nics": len(nic_rows),
        "models": dict(sorted(models.items())),
        "pv_nics": sum(1 for row in nic_rows if row["model"] is None),
        "domains_on_rtl8139": sum(
            1 for domain in domains if any(nic.get("model") == "rtl8139" for nic in domain.get("nics") or ())
        ),
    }


def status(fleet):
    if fleet["hypervisors_failed"]:
        return "incomplete"
    return "rtl8139_found" if fleet["domains_on_rtl8139"] else "clean"


def summary_lines(results, report_dir=None, failed=0):
    """One line per hypervisor and one for the fleet."""
    lines = []
    for hypervisor, result in results.items():
        c = counts({hypervisor: result})
        models = "".join("%s %d, " % item for item in c["models"].items())
        lines.append(
            "%s: %d domain(s), %d NIC(s) (%sPV %d); %d domain(s) still on rtl8139"
            % (hypervisor, c["domains"], c["nics"], models, c["pv_nics"], c["domains_on_rtl8139"])
        )
    fleet = counts(results, failed)
    lines.append(
        "fleet: %d hypervisor(s)%s, %d domain(s), %d NIC(s), %d domain(s) still on rtl8139%s"
        % (
            fleet["hypervisors"],
            " (%d more failed)" % failed if failed else "",
            fleet["domains"],
            fleet["nics"],
            fleet["domains_on_rtl8139"],
            "; report: %s/audit.html (also .json, .csv, .md)" % report_dir if report_dir else "",
        )
    )
    return lines


def report(results, failed=0, title="NIC model audit"):
    """The audit report: ``audit.json`` is the list of rows, ``audit.csv`` the same rows."""
    fleet = counts(results, failed)
    nic_rows = rows(results)
    columns = [(c, c.replace("_", " "), "number" if c == "index" else "text") for c in COLUMNS]
    return {
        "title": title,
        "data": nic_rows,
        "csv": {"columns": list(COLUMNS), "rows": nic_rows},
        "summary": [
            ("status", status(fleet)),
            ("hypervisors", "%d (%d failed)" % (fleet["hypervisors"] + failed, failed)),
            ("domains", fleet["domains"]),
            ("NICs", fleet["nics"]),
            ("NICs per model", ", ".join("%s %d" % item for item in fleet["models"].items())),
            ("paravirtual (Xen PV) NICs", fleet["pv_nics"]),
            ("domains still on rtl8139", fleet["domains_on_rtl8139"]),
        ],
        "sections": [{"heading": "Every NIC", "table": {"columns": columns, "rows": nic_rows}}],
    }
