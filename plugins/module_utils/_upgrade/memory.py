# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The choices by measuring that a controller remembers (no Ansible imports): ``nic_model_choice_memory``.

One JSON file, ``{"version": 1, "classes": {class key: remembered}}``, where ``remembered`` is what
:func:`.choice.settle` records for a class after its trials (the choice, whether the class kept its model, the
reason, the sample, the trial table's medians, when and the run's report directory). A later run recalls the choice
of a class with the same key instead of trying it again (:func:`.choice.trial_plan`). The file is written whole to a
temporary file in its directory and renamed over the old one, mode 0600.
"""

from __future__ import annotations

import json
import os
import tempfile

from .._common.errors import NicTuneError

VERSION = 1


def load(path):
    """The remembered classes of ``path`` (``{}`` when the file does not exist); NicTuneError naming the file when
    it cannot be read or is not such a file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise NicTuneError("cannot read the remembered choices: %s" % exc, path=path)
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("classes"), dict):
        raise NicTuneError(
            "not a file of remembered choices (version %d, with classes); move it away or set "
            "nic_model_choice_memory to another file" % VERSION,
            path=path,
        )
    return data["classes"]


def save(path, classes):
    """Write ``classes`` to ``path`` (its directory made, mode 0700, where missing)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".choices.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"version": VERSION, "classes": classes}, handle, indent=1, sort_keys=True)
                handle.write("\n")
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise NicTuneError("cannot write the remembered choices: %s" % exc, path=path)
