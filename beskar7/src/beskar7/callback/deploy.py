"""Protocol step 6 (api/protocol.py): the hand-off to the final OS and its single-use seed.

`handoff` (inspector, bearer token) mints the seed secret once the machine is Provisioning and
answers the seed URL; `seed_document` (final OS, the secret in the URL) serves `user-data` or
`meta-data` at most once each, marking it served in the same conditional write that decides it
may be served, so two concurrent fetches cannot both succeed. Refusals are one opaque 404.
"""

import logging
from dataclasses import dataclass
from typing import Any

from beskar7.api.physicalhost import HostState, PhysicalHost
from beskar7.api.protocol import Annotation
from beskar7.callback import boot, hosts, seed, tokens
from beskar7.callback.service import (
    CallbackService,
    Caller,
    NotReadyError,
    UnprocessableError,
    provisioned,
)

log = logging.getLogger(__name__)

PROVISIONED_PATH = ("api", "v1", "provisioned")


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str


async def handoff(service: CallbackService, caller: Caller, base: str) -> dict[str, Any]:
    """`{"seedURL": ..., "format": ...}` once the host's machine is Provisioning (404 before);
    a fresh secret replaces any earlier one."""
    source = await hosts.bootstrap_source(service.store, caller.host)
    if source is None:
        raise NotReadyError()
    try:
        data_format = seed.data_format(source.format)
    except seed.FormatError as e:
        raise UnprocessableError(str(e)) from None
    secret, record = seed.issue(service.clock(), service.settings.seed_lifetime)
    await service.annotate(caller, {Annotation.SEED_TOKEN: record.to_annotation()})
    meta = caller.host.metadata
    log.info("handed the seed URL of host %s/%s to its inspector", meta.namespace, meta.name)
    return {
        "seedURL": seed.seed_url(base, meta.namespace, meta.name, secret),
        "format": data_format.value,
    }


async def seed_document(
    service: CallbackService, base: str, namespace: str, name: str, secret: str, document: str
) -> Document:
    """The document, served at most once per secret; NotReadyError for every refusal."""
    try:
        wanted = seed.SeedDocument(document)
    except ValueError:
        raise NotReadyError() from None
    served: list[Document] = []

    async def decide(host: PhysicalHost) -> hosts.Annotations | None:
        record = seed.parse_record(host.metadata.annotations.get(Annotation.SEED_TOKEN))
        if not seed.may_serve(secret, record, wanted, service.clock()) or not _deploying(host):
            return None
        assert record is not None  # may_serve checked it
        annotations: hosts.Annotations = {}
        if wanted == seed.SeedDocument.USER_DATA:
            found = await _user_data(service, host)
        else:
            found, annotations[Annotation.REPORT_TOKEN] = _meta_data(service, base, host)
        if found is None:
            return None
        served[:] = [found]
        annotations[Annotation.SEED_TOKEN] = record.serving(wanted).to_annotation()
        return annotations

    if await hosts.annotate_host(service.store, namespace, name, decide) is None:
        raise NotReadyError()
    log.info("served %s to host %s/%s", wanted.value, namespace, name)
    return served[0]


def _deploying(host: PhysicalHost) -> bool:
    return host.status.state == HostState.INSPECTING and not provisioned(host)


async def _user_data(service: CallbackService, host: PhysicalHost) -> Document | None:
    source = await hosts.bootstrap_source(service.store, host)
    if source is None:
        return None
    try:
        data_format = seed.data_format(source.format)
    except seed.FormatError:
        return None
    return Document(source.value, seed.CONTENT_TYPES[data_format])


def _meta_data(service: CallbackService, base: str, host: PhysicalHost) -> tuple[Document, str]:
    """The meta-data with a fresh report token, and the token's record to store."""
    now = service.clock()
    settings = service.settings
    token, record = tokens.issue(now, settings.seed_lifetime + settings.deployment_window)
    meta = host.metadata
    consumer = host.spec.consumer_ref
    instance = consumer.uid if consumer is not None and consumer.uid else meta.uid
    text = seed.MetaData(
        instance_id=instance or f"{meta.namespace}-{meta.name}",
        namespace=meta.namespace,
        host=meta.name,
        report_url=boot.path_url(base, *PROVISIONED_PATH, meta.namespace, meta.name),
        report_token=token,
    ).render()
    return Document(text.encode(), seed.META_DATA_TYPE), record.to_annotation()
