from django.shortcuts import render


def recherche(request):
    return render(request, "territoires/recherche.html", {"title": "Rechercher une commune"})
