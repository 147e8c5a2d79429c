"""Build the blank forms shipped with the demo catalogue (procedures/data/forms/) from their
templates (templates/pdf/forms/). The PDFs are committed; run this after changing a template."""

from django.core.management.base import BaseCommand
from django.template.loader import render_to_string

from dossiers.printing.pdf import write_pdf
from procedures.catalogue_io import SHIPPED_FORMS

FORMS = ["to-khai-dang-ky-khai-sinh"]


class Command(BaseCommand):
    help = "Build the shipped blank forms (tờ khai) as PDF."

    def handle(self, *args, **options):
        SHIPPED_FORMS.mkdir(parents=True, exist_ok=True)
        for name in FORMS:
            target = SHIPPED_FORMS / f"{name}.pdf"
            target.write_bytes(write_pdf(render_to_string(f"pdf/forms/{name}.html")))
            self.stdout.write(f"{target.relative_to(SHIPPED_FORMS.parents[2])}")
