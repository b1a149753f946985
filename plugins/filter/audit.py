# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter of playbooks/audit_nics.yml: nic_model_audit_rows (docs in the sidecar .yml file)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

COLUMNS = ("hypervisor", "domain", "path", "guest_type", "index", "mac", "bridge", "model", "model_explicit")
FORMATS = ("rows", "json", "csv", "counts", "summary")


def _domains(hypervisor, result):
    if isinstance(result, Mapping):
        result = result.get("domains")
    if result is None:
        return []
    if isinstance(result, (str, bytes)) or not isinstance(result, (list, tuple)):
        raise AnsibleFilterError(
            "nic_model_audit_rows: %s: expected a nic_model_info result or its domains list, got %s"
            % (hypervisor, type(result).__name__)
        )
    return result


def _row(hypervisor, domain, nic):
    return {
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


def _plain(value):
    """Ansible's tagged scalars -> plain ones, for json.dumps."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _counts(results, rows):
    domains = [domain for hypervisor, result in results.items() for domain in _domains(hypervisor, result)]
    models = {}
    for row in rows:
        if row["model"] is not None:
            models[row["model"]] = models.get(row["model"], 0) + 1
    return {
        "hypervisors": len(results),
        "domains": len(domains),
        "nics": len(rows),
        "models": dict(sorted(models.items())),
        "pv_nics": sum(1 for row in rows if row["model"] is None),
        "domains_on_rtl8139": sum(
            1 for domain in domains if any(nic.get("model") == "rtl8139" for nic in domain.get("nics") or ())
        ),
    }


def _summary_line(hypervisor, results):
    rows = [
        _row(hypervisor, domain, nic)
        for domain in _domains(hypervisor, results[hypervisor])
        for nic in domain.get("nics") or ()
    ]
    counts = _counts(results, rows)
    models = "".join("%s %d, " % item for item in counts["models"].items())
    return "%s: %d domain(s), %d NIC(s) (%sPV %d); %d domain(s) still on rtl8139" % (
        hypervisor,
        counts["domains"],
        counts["nics"],
        models,
        counts["pv_nics"],
        counts["domains_on_rtl8139"],
    )


def nic_model_audit_rows(results, format="rows"):  # pylint: disable=redefined-builtin
    """{hypervisor: nic_model_info result (or its domains)} -> one row per domain NIC (dicts, JSON or CSV text),
    or the counts of the fleet, or one summary line per hypervisor."""
    if format not in FORMATS:
        raise AnsibleFilterError("nic_model_audit_rows: format is one of %s, not %r" % (", ".join(FORMATS), format))
    if not isinstance(results, Mapping):
        raise AnsibleFilterError(
            "nic_model_audit_rows: expected a dictionary of hypervisor -> nic_model_info result, got %s"
            % type(results).__name__
        )
    rows = [
        _row(hypervisor, domain, nic)
        for hypervisor, result in results.items()
        for domain in _domains(hypervisor, result)
        for nic in domain.get("nics") or ()
    ]
    if format == "rows":
        return rows
    if format == "counts":
        return _counts(results, rows)
    if format == "summary":
        return [_summary_line(hypervisor, {hypervisor: result}) for hypervisor, result in results.items()]
    if format == "json":
        return json.dumps([{c: _plain(row[c]) for c in COLUMNS} for row in rows], indent=1) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([_csv_value(row[c]) for c in COLUMNS] for row in rows)
    return out.getvalue()


class FilterModule:
    def filters(self):
        return {"nic_model_audit_rows": nic_model_audit_rows}
