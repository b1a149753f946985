"""Stand-in for ansible-test's downloaded get-pip.py bootstrap script.

ansible-test runs ``python get_pip_<version>.py [pip install options] pip==<version>`` in every
fresh sanity/units virtualenv. The real script embeds a pip wheel and is downloaded from a host
that this project's test machines cannot reach. This stand-in takes pip from the interpreter's
own bundled ``ensurepip`` wheel and runs ``pip install`` with the same arguments (the pinned pip
itself then comes from the configured package index).
"""

import ensurepip
import glob
import os
import sys

# Options only the real get-pip.py understands.
_GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    bundled = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
    if not bundled:
        sys.exit("get-pip stand-in: this Python has no bundled pip wheel (install python3-venv / ensurepip)")
    sys.path.insert(0, sorted(bundled)[-1])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    args = [a for a in sys.argv[1:] if a not in _GET_PIP_ONLY]
    sys.exit(pip_main(["install", "--upgrade", *args]))


if __name__ == "__main__":
    main()
