"""``{% history_link obj %}`` and ``{% history_table obj %}`` for record pages."""

from django import template

from pvd.core.history import history_entries, history_url

register = template.Library()


@register.simple_tag
def history_link(obj) -> str:
    from django.utils.html import format_html

    return format_html(
        '<a class="fr-link fr-icon-history-line fr-link--icon-left" href="{}">Historique des modifications</a>',
        history_url(obj),
    )


@register.inclusion_tag("core/history_table.html")
def history_table(obj, limit: int = 20):
    entries = history_entries(type(obj), obj.pk)
    return {"entries": entries[:limit], "more": len(entries) > limit, "history_url": history_url(obj)}
