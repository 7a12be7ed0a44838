"""Creating managed customers: credentials are generated here and shown exactly once."""

import re
from dataclasses import dataclass
from datetime import datetime

from felhom_hub.api.fields import CUSTOMER_ID_PATTERN
from felhom_hub.secrets import new_token, token_hash
from felhom_hub.store import Database, customers


class InvalidCustomerIdError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """The plaintext credentials of a customer just created; the store keeps only hashes."""

    customer_id: str
    api_key: str
    retrieval_password: str


def create_customer(db: Database, customer_id: str, *, now: datetime) -> NewCustomer:
    """Create an active customer with a fresh API key and retrieval password.

    Raises InvalidCustomerIdError, or customers.CustomerExistsError when the id is taken.
    """
    if not re.fullmatch(CUSTOMER_ID_PATTERN, customer_id):
        raise InvalidCustomerIdError(
            f"{customer_id!r} is not a valid customer id ({CUSTOMER_ID_PATTERN})"
        )
    created = NewCustomer(customer_id, new_token(), new_token())
    with db.write() as conn:
        customers.create(
            conn,
            customer_id=customer_id,
            api_key_hash=token_hash(created.api_key),
            retrieval_password_hash=token_hash(created.retrieval_password),
            now=now,
        )
    return created
