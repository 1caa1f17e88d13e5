from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render

from pvd.comptes.policy import visible_to


def home(request):
    """Entry point: the programmes with their number of laureates (as the policy shows them)."""
    from pvd.programmes.models import Laureat, Programme

    counts = dict(
        visible_to(request.user, Laureat).order_by().values_list("programme_id").annotate(n=Count("pk"))
    )
    programmes = [(p, counts.get(p.pk, 0)) for p in visible_to(request.user, Programme).order_by("nom")]
    return render(request, "core/home.html", {"title": "Accueil", "programmes": programmes})


def health(request):
    """Liveness/readiness probe for the load balancer: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
