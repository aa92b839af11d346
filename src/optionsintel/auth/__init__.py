"""Identity and access, as pure domain: roles and permissions, tiers, hashing, tokens.

No I/O and no store: the use cases in :mod:`optionsintel.services` read and write
accounts and call these functions.
"""

from optionsintel.auth.keys import (
    NewApiKey,
    generate_api_key,
    hash_api_key,
    key_matches,
    key_prefix,
)
from optionsintel.auth.passwords import hash_password, needs_rehash, verify_password
from optionsintel.auth.roles import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    allows,
    parse_role,
    parse_scopes,
)
from optionsintel.auth.tiers import TIER_QUOTAS, Tier, TierQuota, parse_tier
from optionsintel.auth.tokens import TOKEN_LIFETIME, issue_token, new_secret, verify_token

__all__ = [
    "ROLE_PERMISSIONS",
    "TIER_QUOTAS",
    "TOKEN_LIFETIME",
    "NewApiKey",
    "Permission",
    "Role",
    "Tier",
    "TierQuota",
    "allows",
    "generate_api_key",
    "hash_api_key",
    "hash_password",
    "issue_token",
    "key_matches",
    "key_prefix",
    "needs_rehash",
    "new_secret",
    "parse_role",
    "parse_scopes",
    "parse_tier",
    "verify_password",
    "verify_token",
]
