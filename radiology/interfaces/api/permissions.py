"""Role permissions for the API, the same Django permissions the pages check."""

from rest_framework.permissions import BasePermission


class HasRolePermissions(BasePermission):
    """Each view lists the permissions it needs per HTTP method in `required_perms`.

    Finer rules (which role may check a patient in, start a procedure, …) are the
    services' to enforce; they raise ServiceRefusal(code="forbidden") → 403.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        needed = getattr(view, "required_perms", {}).get(method, [])
        missing = [perm for perm in needed if not user.has_perm(perm)]
        if missing:
            self.message = f"Your role does not allow this (it needs the “{missing[0].split('.')[1]}” permission)."
            return False
        return True
