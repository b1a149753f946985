# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The attributes of the collection's controller steps (action plugins documented like modules): they run on the
    # controller, once per host, read what they are given and return a result; a step says itself what check mode
    # means for it (attributes.check_mode.description).
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  diff_mode:
    support: none
  platform:
    platforms: all
"""
