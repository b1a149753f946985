#!/usr/bin/env bash
# The one entry point for every check, the same one CI calls (.ci/run).
#
#   scripts/test.sh                 prepare the machine, then run every stage
#   scripts/test.sh STAGE [STAGE…]  only those stages (setup always runs first)
#
# Stages: lint sanity units fuzz integration lab
#   lint         ruff (check + format), yamllint, ansible-lint (production profile), antsibull-changelog lint
#   sanity       ansible-test sanity --local on a copy of the tree laid out as ansible_collections/nictune/fleet
#   units        pytest tests/unit (pure cores, modules, filters, corpus and property tests)
#   fuzz         seeded mutation fuzzing of every core (xen, libvirt_xml, proxmox, virtualbox) with the
#                edit-then-reparse check (tests/fuzz): 10,000 inputs per core, 40,000 in all, about 32 s of CPU
#                (virtualbox 19 s of it); 32 to 90 s measured on 2 CPUs shared with a running lab (load 5-7);
#                NICTUNE_FUZZ_PER_CORE and NICTUNE_FUZZ_SEED change the budget and seed
#   integration  ansible-test integration --local: Xen files, libvirt XML files, libvirt API against
#                test:///default and a private libvirtd started here (and stopped at the end)
#   lab          the lab of real QEMU guests and the Molecule scenarios that use it
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

all_stages=(lint sanity units fuzz integration lab)
stages=("$@")
((${#stages[@]})) || stages=("${all_stages[@]}")

bash scripts/setup.sh || { echo "setup failed"; echo "stages: 0 passed, 1 failed"; exit 1; }

export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections:$root/.build/ansible-pkg"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 ANSIBLE_NOCOLOR=1
# Corpus of real configs written by others: used by tests when present beside the checkout.
if [ -d "$root/../shared/corpus" ]; then
  NICTUNE_CORPUS="$(cd "$root/../shared/corpus" && pwd)"
  export NICTUNE_CORPUS
fi

atroot="${NICTUNE_AT_ROOT:-${TMPDIR:-/tmp}/nictune-ansible-test}"  # outside any git work tree
at_tree="$atroot/ansible_collections/nictune/fleet"

# ansible-test insists on running inside ansible_collections/NS/NAME and follows no symlink there:
# give it a copy of the files git would ship (tracked and new, not ignored).
make_at_tree() {
  rm -rf "$atroot"
  mkdir -p "$at_tree"
  if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$root" ls-files -z --cached --others --exclude-standard |
      rsync -a --from0 --files-from=- "$root/" "$at_tree/"
  else
    rsync -a --exclude .venv --exclude .build --exclude .git "$root/" "$at_tree/"
  fi
}

stage_lint() {
  local rc=0
  echo "--- ruff"
  ruff check . || rc=1
  ruff format --check . || rc=1
  echo "--- yamllint"
  yamllint -s . || rc=1
  echo "--- ansible-lint (production profile)"
  ansible-lint --profile production --offline -q || rc=1
  echo "--- antsibull-changelog lint"
  antsibull-changelog lint || rc=1
  return $rc
}

stage_sanity() {
  make_at_tree
  (cd "$at_tree" && ansible-test sanity --local --python 3.11 --color no)
}

stage_units() {
  local rc=0
  PYTHONPATH="$root/.build/collections" pytest -q tests/unit -n 2 || rc=$?
  # pytest's 5 means "no tests collected": a failure here, there must be tests.
  return $rc
}

stage_fuzz() {
  PYTHONPATH="$root/.build/collections" python tests/fuzz/run.py \
    --per-core "${NICTUNE_FUZZ_PER_CORE:-10000}" --seed "${NICTUNE_FUZZ_SEED:-nictune}"
}

stage_integration() {
  make_at_tree
  local state="$root/.build/test-libvirt" rc=0
  NICTUNE_TEST_LIBVIRT_URI=$(bash roles/lab/files/nictune-libvirtd.sh start "$state") || {
    echo "could not start the test libvirtd"
    return 1
  }
  export NICTUNE_TEST_LIBVIRT_URI
  # ansible-test passes no environment through to the targets: hand the URI over as integration config.
  printf 'nictune_test_libvirt_uri: "%s"\n' "$NICTUNE_TEST_LIBVIRT_URI" > "$at_tree/tests/integration/integration_config.yml"
  trap 'bash "$root/roles/lab/files/nictune-libvirtd.sh" stop "$root/.build/test-libvirt"' RETURN
  (cd "$at_tree" && ansible-test integration --local --python 3.11 --color no -v) || rc=1
  return $rc
}

stage_lab() {
  if [ -x scripts/test-lab.sh ]; then
    bash scripts/test-lab.sh
  else
    echo "no lab tests yet"
  fi
}

passed=0 failed=0 failed_names=()
for s in "${stages[@]}"; do
  if ! declare -F "stage_$s" >/dev/null; then
    echo "unknown stage: $s (known: ${all_stages[*]})"
    failed=$((failed + 1)); failed_names+=("$s"); continue
  fi
  echo "=================== stage: $s"
  start=$(date +%s)
  if "stage_$s"; then
    passed=$((passed + 1)); echo "=================== stage $s passed in $(($(date +%s) - start)) s"
  else
    failed=$((failed + 1)); failed_names+=("$s"); echo "=================== stage $s FAILED after $(($(date +%s) - start)) s"
  fi
done
((failed)) && echo "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
((failed == 0))
