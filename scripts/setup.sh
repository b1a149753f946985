#!/usr/bin/env bash
# Prepare this checkout for tests on a Debian 12 machine (run as root, or with sudo available):
#   * Debian packages the tests and the lab need (only those missing are installed),
#   * a virtualenv in .venv with the pinned tools from tests/requirements.txt,
#   * the checkout made visible to Ansible as ansible_collections/nictune/fleet (a symlink under .build/),
#   * a stand-in for ansible-test's pip bootstrap (it cannot be downloaded here).
# Safe to run again: every step checks before it acts.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

say() { printf '[setup] %s\n' "$*"; }

# --- Debian packages -----------------------------------------------------------------------
debs=(
  python3 python3-venv python3-dev gcc pkg-config git rsync
  libvirt-dev libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
  iperf3 debootstrap busybox-static cpio zstd xz-utils iproute2 openssh-client openssh-server
  virtinst shellcheck
)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- virtualenv ------------------------------------------------------------------------------
py=${NICTUNE_PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(cat tests/requirements.txt requirements.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "creating .venv with $($py --version)"
  rm -rf .venv
  "$py" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r tests/requirements.txt
  echo "$want" > "$stamp"
fi

# --- collections the project uses (ansible.windows for the Windows task files) -----------------
# Galaxy is not reachable from the test machines: take the same collections from the `ansible`
# package on PyPI, unpacked outside the venv. Users elsewhere install them from requirements.yml.
ansible_pkg=${NICTUNE_ANSIBLE_PKG_VERSION:-12.3.0}
if [ "$(cat .build/ansible-pkg/.version 2>/dev/null)" != "$ansible_pkg" ]; then
  say "unpacking collections from the ansible $ansible_pkg package"
  rm -rf .build/ansible-pkg
  .venv/bin/pip install -q --no-deps --target .build/ansible-pkg "ansible==$ansible_pkg"
  echo "$ansible_pkg" > .build/ansible-pkg/.version
fi

# --- the checkout as ansible_collections/nictune/fleet ---------------------------------------
mkdir -p .build/collections/ansible_collections/nictune
ln -sfn "$here" .build/collections/ansible_collections/nictune/fleet

# --- ansible-test: pip bootstrap stand-in -----------------------------------------------------
# ansible-test downloads get-pip.py for every sanity venv; that host is not reachable here.
# The stand-in installs pip from the interpreter's own bundled ensurepip wheel instead.
pipver=$(.venv/bin/python - <<'PY'
import ast, pathlib, ansible_test
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
for node in ast.walk(ast.parse(src.read_text())):
    if isinstance(node, ast.keyword) and node.arg == "pip" and isinstance(node.value, ast.Constant):
        print(node.value.value)
        break
PY
)
if [ -n "$pipver" ]; then
  cache="$HOME/.ansible/test/cache"
  mkdir -p "$cache"
  install -m 0644 scripts/get_pip_standin.py "$cache/get_pip_${pipver//./_}.py"
fi
say "ready: $(.venv/bin/ansible --version | sed -n 1p)"
