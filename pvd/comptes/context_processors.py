from .policy import is_admin


def account(request):
    """``PVD_IS_ADMIN`` for the header (evaluated only when a template uses it)."""
    user = getattr(request, "user", None)
    return {"PVD_IS_ADMIN": lambda: is_admin(user)}
