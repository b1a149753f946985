#!/bin/sh
# Ansible dynamic inventory for Molecule: the lab's inventory.yml (written by lab_up) when it exists,
# an empty inventory otherwise. NICTUNE_LAB_DIR overrides the default lab_dir.
lab_dir=${NICTUNE_LAB_DIR:-$HOME/.cache/nictune/lab}
if [ "${1:-}" = "--host" ]; then
  echo '{}'
  exit 0
fi
if [ -f "$lab_dir/inventory.yml" ]; then
  exec ansible-inventory -i "$lab_dir/inventory.yml" --list
fi
echo '{"_meta": {"hostvars": {}}}'
