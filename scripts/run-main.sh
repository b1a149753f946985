#!/usr/bin/env bash
# The main job, as a newcomer runs it on a fresh Debian 12 machine.
# Today it audits the sample Xen configs in docs/examples/ (nothing is changed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
exec .venv/bin/ansible-playbook -i docs/examples/inventory-sample.yml playbooks/audit_nics.yml "$@"
