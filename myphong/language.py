"""Vietnamese for everyone unless they chose otherwise.

Django's LocaleMiddleware follows the browser's Accept-Language, so a citizen whose phone is set
to English would get an English portal they did not ask for, and forms printed in one language
while the page speaks another. Here the language is the reader's choice only: the switch in the
header (django.views.i18n.set_language) stores it in the language cookie, which lasts a year.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Cookie",))
        return response


def chosen_language(request):
    """The language of the cookie when it names one of settings.LANGUAGES, else Vietnamese."""
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    try:
        return translation.get_supported_language_variant(code) if code else settings.LANGUAGE_CODE
    except LookupError:
        return settings.LANGUAGE_CODE
