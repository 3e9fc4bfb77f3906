"""Password hashing (Argon2) and random tokens stored only as hashes."""
import hashlib
import secrets
from functools import cache

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


@cache
def stand_in_hash() -> str:
    """A hash of a random password, with the same parameters as real ones: a sign-in for an unknown
    or locked account checks against it, so it costs as much as one for a real account."""
    return _hasher.hash(secrets.token_urlsafe(32))


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
