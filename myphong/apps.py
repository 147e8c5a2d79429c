from django.apps import AppConfig


class MyPhongConfig(AppConfig):
    """The project package as an app: it owns the staff groups and the site-wide pages."""

    name = "myphong"
    verbose_name = "Mỹ Phong"

    def ready(self):
        from .pagecache import connect_signals

        connect_signals()
