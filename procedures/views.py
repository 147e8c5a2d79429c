"""Public catalogue pages: thin — parse, call a selector, render."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from myphong.pagecache import public_page

from .models import RequiredDocument, Sector
from .selectors import procedure_detail as get_procedure
from .selectors import search_procedures

PAGE_SIZE = 20


@public_page
def procedure_list(request):
    query = request.GET.get("q", "").strip()[:200]
    sectors = list(Sector.objects.order_by("order", "name"))
    sector = next((s for s in sectors if s.code == request.GET.get("linh-vuc")), None)
    page = Paginator(search_procedures(query, sector), PAGE_SIZE).get_page(request.GET.get("trang"))
    page_query = urlencode({"q": query, "linh-vuc": sector.code if sector else ""})
    return render(
        request,
        "procedures/list.html",
        {
            "page": page,
            "query": query,
            "sectors": sectors,
            "sector": sector,
            "page_query": page_query,
        },
    )


@public_page
def procedure_detail(request, code):
    procedure = get_procedure(code)
    if procedure is None:
        raise Http404
    return render(request, "procedures/detail.html", {"procedure": procedure})


def form_template(request, code, document_id):
    """Blank forms are public documents, served by a view because uploads have no public URL."""
    document = get_object_or_404(
        RequiredDocument.objects.exclude(form_template=""),
        pk=document_id,
        procedure__code=code,
        procedure__is_active=True,
    )
    return FileResponse(document.form_template.open("rb"), as_attachment=True)
