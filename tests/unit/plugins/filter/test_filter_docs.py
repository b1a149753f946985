# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every filter's sidecar documentation (plugins/filter/<name>.yml) has the parts ansible-doc shows."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

FILTER_DIR = Path(__file__).resolve().parents[4] / "plugins" / "filter"
SIDECARS = sorted(FILTER_DIR.glob("*.yml"))


def test_there_are_sidecars():
    assert len(SIDECARS) >= 5


@pytest.mark.parametrize("path", SIDECARS, ids=[p.stem for p in SIDECARS])
def test_sidecar_docs(path):
    name = path.stem
    doc = yaml.safe_load(path.read_text())
    assert set(doc) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    assert doc["DOCUMENTATION"]["name"] == name
    assert "_input" in doc["DOCUMENTATION"]["options"]
    assert "_value" in doc["RETURN"]
    assert "nictune.fleet.%s" % name in doc["EXAMPLES"]
    positional = doc["DOCUMENTATION"].get("positional")
    if positional:
        for option in positional.split(","):
            assert option.strip() in doc["DOCUMENTATION"]["options"]
