"""Who may do what: principals, accounts (users, tokens, sessions), the policy and login rate limits.

``from liuyu.access import Principal, AccessDenied, BASIN, ROLES`` is the surface the rest of
Liuyu uses; :mod:`liuyu.access.policy` is the one place that decides, :mod:`liuyu.access.accounts`
keeps the accounts in the workspace's store.
"""

from liuyu.access.principal import BASIN, LOCAL_ADMIN, ROLES, AccessDenied, Principal, Role

__all__ = ["BASIN", "LOCAL_ADMIN", "ROLES", "AccessDenied", "Principal", "Role"]
