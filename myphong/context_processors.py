from django.conf import settings


def site(request):
    """The office's name and contacts, for the header and footer of every page."""
    return {
        "portal": {
            "agency_name": settings.PORTAL_AGENCY_NAME,
            "hotline": settings.PORTAL_HOTLINE,
            "one_stop_name": settings.PORTAL_ONE_STOP_NAME,
            "address": settings.PORTAL_ADDRESS,
            "email": settings.PORTAL_EMAIL,
        }
    }
