# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the tables of docs/models.md from the model catalogue (plugins/module_utils/_common/models.py).

python3 scripts/models-doc.py          rewrite the generated part of docs/models.md
python3 scripts/models-doc.py --check  exit 1 when docs/models.md is not what the catalogue gives
"""

from __future__ import annotations

import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "models.md")
BEGIN = "<!-- generated from the catalogue: begin -->"
END = "<!-- generated from the catalogue: end -->"


def _catalogue():
    """The catalogue module, loaded from its file (it imports only its sibling errors module)."""
    base = os.path.join(ROOT, "plugins", "module_utils", "_common")
    package = "nictune_models_doc"
    spec = importlib.util.spec_from_file_location(package, os.path.join(base, "__init__.py"),
                                                  submodule_search_locations=[base])  # fmt: skip
    sys.modules[package] = importlib.util.module_from_spec(spec)
    mod_spec = importlib.util.spec_from_file_location(package + ".models", os.path.join(base, "models.py"))
    module = importlib.util.module_from_spec(mod_spec)
    sys.modules[package + ".models"] = module
    mod_spec.loader.exec_module(module)
    return module


def tables():
    models = _catalogue()
    lines = ["## Models", ""]
    header = ["model", "what it is", "also called"] + ["written on %s" % p for p in models.PLATFORMS]
    lines.append("| %s |" % " | ".join(header))
    lines.append("|%s|" % "|".join(["---"] * len(header)))
    for item in models.describe():
        names = []
        for platform in models.PLATFORMS:
            written = item["names"].get(platform)
            if written is None:
                names.append("-")
            elif not written:
                names.append("(paravirtual vif)")
            else:
                names.append(", ".join("`%s`" % n for n in written))
        aliases = ", ".join("`%s`" % a for a in item["aliases"]) or "-"
        lines.append("| `%s` | %s | %s | %s |" % (item["name"], item["title"], aliases, " | ".join(names)))
    lines += ["", "## Ranking per platform (best first)", "", "| platform | ranking |", "|---|---|"]
    for platform in models.PLATFORMS:
        lines.append("| %s | %s |" % (platform, " > ".join("`%s`" % m for m in models.ranking(platform))))
    lines += [
        "",
        "## Multiqueue candidates",
        "",
        "Where a platform can write a NIC with more than one queue pair, the choice by measuring tries it as a",
        "candidate of its own for guests with more than one vCPU (queues = min(vCPUs, `nic_model_max_queues`)).",
        "",
        "| platform | candidate | model |",
        "|---|---|---|",
    ]
    for platform in models.PLATFORMS:
        found = models.multiqueue(platform)
        if found:
            lines.append("| %s | `%s` | `%s` |" % (platform, found["name"], found["model"]))
    lines += [
        "",
        "## Guest drivers",
        "",
        "| model | Linux kernel modules (all needed) | ethtool driver | Windows packages |",
    ]
    lines.append("|---|---|---|---|")
    for item in models.describe():
        linux = item["linux"]
        if not linux and not item["windows"]:
            continue
        lines.append(
            "| `%s` | %s | %s | %s |"
            % (
                item["name"],
                ", ".join("`%s`" % m for m in (linux or {}).get("needs", [])) or "-",
                ", ".join("`%s`" % m for m in (linux or {}).get("ethtool", [])) or "-",
                ", ".join("`%s` (%s)" % (w, models.WINDOWS_PACKAGES[w]["license"]) for w in item["windows"]) or "-",
            )
        )
    return "\n".join(lines) + "\n"


def rendered(text):
    head, _sep, rest = text.partition(BEGIN)
    tail = rest.partition(END)[2]
    return "%s%s\n%s%s%s" % (head, BEGIN, tables(), END, tail)


def main(argv):
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    new = rendered(text)
    if "--check" in argv:
        if new != text:
            print("docs/models.md is not what the catalogue gives: run python3 scripts/models-doc.py")
            return 1
        return 0
    with open(DOC, "w", encoding="utf-8") as handle:
        handle.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
