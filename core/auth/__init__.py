"""Who may do what: roles, permissions and the acting user every service checks (access); accounts and
sign-in (users)."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__, {"access": ["Actor", "DEMO_USER", "GRANTS", "Permission", "Role", "least_role", "operator", "require"]}
)
