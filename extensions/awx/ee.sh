#!/usr/bin/env bash
# Build context (and optionally the image) of the nictune.fleet execution environment.
#
#   extensions/awx/ee.sh create            collection tarball in .build/ee/collection, build context in .build/ee/context
#   extensions/awx/ee.sh build TAG [ARGS]  the same, then `ansible-builder build -t TAG ARGS` (podman or docker, and the
#                                          base image's registry, must be reachable: not the case on the test machines)
#
# Run from anywhere; uses the ansible-galaxy and ansible-builder on PATH (or in the checkout's .venv).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
[ -x .venv/bin/ansible-builder ] && PATH="$root/.venv/bin:$PATH"

cmd=${1:-create}
out=.build/ee
rm -rf "$out/collection" "$out/context"
mkdir -p "$out/collection"
ansible-galaxy collection build --force --output-path "$out/collection" . >/dev/null
case "$cmd" in
  create)
    ansible-builder create -f execution-environment.yml -c "$out/context" --output-filename Containerfile
    ;;
  build)
    tag=${2:?usage: ee.sh build TAG [ansible-builder build options]}
    shift 2
    ansible-builder build -f execution-environment.yml -c "$out/context" -t "$tag" "$@"
    ;;
  *)
    echo "usage: ee.sh create | build TAG [options]" >&2
    exit 2
    ;;
esac
