"""Test stand-ins for the outside world the portal talks to, and tools to read what it makes."""

import os
import shutil
import subprocess

import pytest


class RecordingSms:
    """settings.SMS_BACKEND in tests: keeps what would have been sent, instead of logging it."""

    sent = []

    def send(self, phone, text):
        self.sent.append((phone, text))


def poppler(tool, *args):
    """Run a poppler-utils tool (pdftotext, pdfinfo) and return its output.

    A missing tool skips the test on a developer's machine and fails it under CI=true.
    """
    if shutil.which(tool) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing: `make test` installs poppler-utils")
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout
