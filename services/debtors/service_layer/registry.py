"""The debtor registry: create once per (country, national id), find by identifier or name."""

from __future__ import annotations

import uuid
from datetime import datetime

from stdnum.exceptions import ValidationError
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

from services.debtors.adapters.repository import DebtorsUnitOfWork
from services.debtors.adapters.tables import Debtor
from services.debtors.domain.bodacc import plain
from services.debtors.domain.errors import DebtorExists, DebtorNotFound, InvalidIdentifier
from services.debtors.domain.identifiers import identifiers_for
from services.debtors.service_layer.commands import NewDebtor
from services.debtors.service_layer.procedures import link_announcements
from services.kit.auth import Principal
from services.kit.errors import AlreadyExists
from services.kit.outbox import Outbox
from services.kit.pagination import Page, PageRequest, page_of


def _exists(debtor: Debtor) -> DebtorExists:
    location = f"/v1/debtors/{debtor.id}"
    return DebtorExists(
        f"Debtor {debtor.country} {debtor.national_id} is registered as {debtor.id}.",
        headers={"Location": location},
        existing_debtor_id=str(debtor.id),
    )


async def create_debtor(
    uow: DebtorsUnitOfWork, outbox: Outbox, *, data: NewDebtor, actor: Principal, now: datetime
) -> Debtor:
    ids = identifiers_for(
        country=data.country,
        siren=data.siren,
        siret=data.siret,
        vat_number=data.vat_number,
        lei=data.lei,
        national_id=data.national_id,
    )
    async with uow:
        repo = uow.debtors
        existing = await repo.debtor_by_national_id(data.country, ids.national_id)
        if existing is not None:
            raise _exists(existing)
        debtor = Debtor(
            legal_name=data.legal_name.strip(),
            name_key=plain(data.legal_name),
            country=data.country,
            national_id=ids.national_id,
            siren=ids.siren,
            siret=ids.siret,
            vat_number=ids.vat_number,
            lei=ids.lei,
            address_line=data.address_line,
            postcode=data.postcode,
            city=data.city,
            created_at=now,
            created_by=actor.client_id,
        )
        repo.add(debtor)
        try:
            await uow.flush()
        except AlreadyExists:
            registered_meanwhile = True  # by a concurrent request: that one is the debtor
        else:
            registered_meanwhile = False
            if debtor.siren:
                await link_announcements(repo, outbox, debtor_id=debtor.id, siren=debtor.siren, now=now)
            await uow.commit()
    if registered_meanwhile:
        raise _exists(await _registered(uow, data.country, ids.national_id))
    return debtor


async def _registered(uow: DebtorsUnitOfWork, country: str, national_id: str) -> Debtor:
    async with uow:
        found = await uow.debtors.debtor_by_national_id(country, national_id)
    assert found is not None  # the unique constraint just said it exists
    return found


async def get_debtor(uow: DebtorsUnitOfWork, *, debtor_id: uuid.UUID) -> Debtor:
    async with uow:
        debtor = await uow.debtors.debtor(debtor_id)
    if debtor is None:
        raise DebtorNotFound(f"No debtor {debtor_id}.")
    return debtor


def _siren_of(siren: str | None, siret: str | None) -> str | None:
    try:
        if siret:
            return siret_number.to_siren(siret_number.validate(siret))
        return siren_number.compact(siren) if siren else None
    except ValidationError as exc:
        raise InvalidIdentifier(f"SIRET {siret!r} is not valid: {exc}.", field="siret") from exc


async def search_debtors(
    uow: DebtorsUnitOfWork,
    *,
    page: PageRequest,
    siren: str | None,
    siret: str | None,
    vat_number: str | None,
    name: str | None,
    country: str | None,
) -> Page[Debtor]:
    async with uow:
        rows = await uow.debtors.debtors_page(
            siren=_siren_of(siren, siret),
            vat_number=vat_number.replace(" ", "").upper() if vat_number else None,
            name_prefix=plain(name) if name else None,
            country=country,
            after=page.after_id(),
            limit=page.limit,
        )
    return page_of(rows, limit=page.limit, key=lambda debtor: [str(debtor.id)])
