"""The main menu: (label, URL name). Entries whose URL does not exist are left out."""

from django.urls import NoReverseMatch, reverse

MENU: list[tuple[str, str]] = [
    ("Accueil", "core:home"),
    ("Territoires", "territoires:recherche"),
    ("Lauréats", "programmes:laureats"),
    ("Projets", "projets:fiches"),
    ("Ingénierie", "ingenierie:postes"),
    ("API", "api-1:openapi-view"),
]


def menu_for(request) -> list[dict]:
    items = []
    for label, name in MENU:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        path = request.path if request is not None else ""
        active = url == "/" and path == "/" or (url != "/" and path.startswith(url))
        items.append({"label": label, "url": url, "active": active})
    return items
