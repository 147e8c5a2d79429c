import pytest
from django.core.cache import cache
from django.utils import translation


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of one test never land in var/media or in another test."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters and mail limits live in the cache (Redis under CI, which outlives a
    run): one test's attempts, or an earlier run's, never slow or silence the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """PBKDF2's deliberate slowness protects real passwords, not test ones."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_process(request, settings):
    """Follow-up tasks run in the test's process, never queued in a shared Redis for nobody.

    Tests marked `celery` talk to a real broker and worker and set their own configuration.
    """
    if request.node.get_closest_marker("celery") is None:
        settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _default_language(settings):
    """Each test starts in Vietnamese: a request's LocaleMiddleware leaves its language active
    in the thread, which would otherwise leak into the next test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_cached_pages():
    """Public pages cached by one test (myphong/pagecache.py) are not served to the next: a rolled
    back catalogue row does not bump the version back."""
    from myphong.pagecache import catalogue_changed

    catalogue_changed()
