"""Password and token hashing.

Passwords use argon2id (slow on purpose); bearer tokens are 256-bit random strings, so a fast
SHA-256 of them is enough to store and look up without keeping the token itself.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: A hash to verify against when the user does not exist, so timing does not reveal usernames.
DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
