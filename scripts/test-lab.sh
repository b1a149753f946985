#!/usr/bin/env bash
# The lab stage of scripts/test.sh: ONE lab of real QEMU guests shared by every scenario (building it
# is the expensive part), then taken down and checked to leave nothing behind.
#
#   molecule default        destroy/create (lab_up)/converge/idempotence/verify: the lab itself (after a guest disk
#                           of other images was planted: lab_up makes it anew)
#   molecule guest_drivers  readiness and MAC-pinned interface names on the guests
#   molecule probe          iperf3 probes, reports, schedule without overlaps
#   molecule upgrade        the main job: converge, idempotence, check, verify
#   pytest tests/lab/test_choice_measured.py
#                           the main job choosing by measuring (guests with 2 vCPUs: multi-queue tried), twice;
#                           about 11 minutes; leaves the guests on their class's choice (NICTUNE_LAB_CHOICE_KEEP=1),
#                           so the AWX runner test's main job finds nothing to change
#   pytest tests/lab        rollback of a guest that stops answering, a probe whose guest dies, two probes sharing
#                           the endpoint, AWX runner
#   lab_down, then tests/lab/test_lab_down.py: no process, namespace, bridge or tap left
#   tests/lab/test_lab_dir_anywhere.py: a lab whose lab_dir is below /tmp (its endpoint only), up and down
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
export NICTUNE_LAB_KEEP=1 PYTHONPATH="$root/.build/collections"
rc=0 results=()

step() {
  local name=$1 start
  shift
  start=$(date +%s)
  echo "----- $name"
  if "$@"; then
    results+=("passed  $name ($(($(date +%s) - start)) s)")
  else
    results+=("FAILED  $name ($(($(date +%s) - start)) s)")
    rc=1
  fi
}

trap 'ansible-playbook playbooks/lab_down.yml >/dev/null 2>&1' EXIT

# Every scenario shares one lab and expects it fresh (guests on rtl8139): take down whatever an earlier run left.
step "lab_down (start from a fresh lab)" ansible-playbook playbooks/lab_down.yml

# A guest disk left by a lab of other images (an overlay of another base, with another host key): lab_up must make
# it anew, or the guest would boot the old disk and fail the host key check of the new known_hosts.
# shellcheck disable=SC2317  # called through step
plant_stale_disk() {
  local disks="$HOME/.cache/nictune/lab/disks"
  mkdir -p "$disks" && truncate -s 1G "$disks/other-image.raw" &&
    qemu-img create -q -f qcow2 -b "$disks/other-image.raw" -F raw "$disks/nictune-lab-guest2.qcow2"
}
step "plant a guest disk of other images (lab_up makes it anew)" plant_stale_disk

step "molecule default: the lab itself (brings it up)" molecule test -s default
if ! ansible -i "$HOME/.cache/nictune/lab/inventory.yml" all -m ansible.builtin.ping -o >/dev/null; then
  echo "the lab is not up: the other lab tests cannot run"
  results+=("FAILED  lab hosts answer ping")
  rc=1
else
  step "molecule guest_drivers" molecule test -s guest_drivers
  step "molecule probe" molecule test -s probe
  step "molecule upgrade" molecule test -s upgrade
  step "pytest tests/lab/test_choice_measured.py (choosing by measuring)" \
    env NICTUNE_LAB_CHOICE_KEEP=1 pytest -q -s -p no:cacheprovider tests/lab/test_choice_measured.py
  step "pytest tests/lab (rollback, probe failure, shared endpoint, AWX runner)" \
    pytest -q -p no:cacheprovider --durations=0 tests/lab --deselect tests/lab/test_lab_down.py \
    --deselect tests/lab/test_lab_dir_anywhere.py --deselect tests/lab/test_choice_measured.py
fi
step "lab_down" ansible-playbook playbooks/lab_down.yml
step "lab_down again (harmless)" ansible-playbook playbooks/lab_down.yml
# the lab was just taken down (twice) from its full size: check that, rather than a lab of the test's own
step "nothing of the lab is left" env NICTUNE_LAB_TEST_SKIP_UP=1 pytest -q -p no:cacheprovider tests/lab/test_lab_down.py
step "a lab_dir below /tmp works (the endpoint alone)" pytest -q -p no:cacheprovider tests/lab/test_lab_dir_anywhere.py
trap - EXIT
printf '%s\n' "${results[@]}"
exit $rc
