import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of one test never land in var/media or in another test."""
    settings.MEDIA_ROOT = tmp_path / "media"
