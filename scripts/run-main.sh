#!/usr/bin/env bash
# The main job, as a newcomer runs it on a fresh Debian 12 machine (as root):
#   1. prepares the checkout (Debian packages, .venv, the collection made visible to Ansible),
#   2. brings up the lab: real QEMU guests on rtl8139 under a private libvirtd (playbooks/lab_up.yml),
#   3. runs the upgrade on the lab (playbooks/upgrade_nics.yml) and prints where the report is.
# Extra arguments go to the upgrade's ansible-playbook (e.g. --check, -e nic_model_batch=2).
# The lab stays up afterwards; take it down with:
#   ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections .venv/bin/ansible-playbook playbooks/lab_down.yml
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections:$root/.build/ansible-pkg"
export PATH="$root/.venv/bin:$PATH"
# A readable progress (a line per phase and per host, the plan, the final table, the report's path); the full log
# goes to ansible.log in the report directory. Set ANSIBLE_STDOUT_CALLBACK=default for Ansible's own output.
export ANSIBLE_STDOUT_CALLBACK=${ANSIBLE_STDOUT_CALLBACK:-nictune.fleet.progress}
lab_dir=${NICTUNE_LAB_DIR:-$HOME/.cache/nictune/lab}
ansible-playbook playbooks/lab_up.yml -e "lab_dir=$lab_dir"
exec ansible-playbook -i "$lab_dir/inventory.yml" playbooks/upgrade_nics.yml "$@"
