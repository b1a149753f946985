# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type the pure cores raise (no Ansible imports here)."""

from __future__ import annotations


class NicTuneError(Exception):
    """A problem the user must fix, located where possible.

    ``str(err)`` reads ``PATH:LINE: REASON`` (or the parts that are known), so a module can pass
    it to ``fail_json`` as it is. ``problems`` holds several located errors when one call found
    more than one (e.g. every unreadable file of a glob).
    """

    def __init__(self, reason, path=None, line=None, problems=None):
        self.reason = reason
        self.path = path
        self.line = line
        self.problems = list(problems or [])
        super().__init__(self.__str__())

    def __str__(self):
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += ":%d" % self.line
            where += ": "
        text = where + self.reason
        if self.problems:
            text += "\n" + "\n".join("  " + str(p) for p in self.problems)
        return text

    def as_dict(self):
        return {"path": self.path, "line": self.line, "reason": self.reason}


class ConfigSyntaxError(NicTuneError):
    """A configuration file that the tool it belongs to would reject, or that we cannot edit safely."""
