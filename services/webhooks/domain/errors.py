"""What the webhooks service refuses, with a stable code each."""

from __future__ import annotations

from services.kit.errors import Conflict, InvalidInput, NotFound


class EndpointNotFound(NotFound):
    code = "WEBHOOK_ENDPOINT_NOT_FOUND"
    title = "No such webhook endpoint"


class DeliveryNotFound(NotFound):
    code = "WEBHOOK_DELIVERY_NOT_FOUND"
    title = "No such delivery on this endpoint"


class EndpointRefused(InvalidInput):
    code = "WEBHOOK_ENDPOINT_REFUSED"
    title = "This endpoint cannot be registered"


class TooManyEndpoints(Conflict):
    code = "TOO_MANY_WEBHOOK_ENDPOINTS"
    title = "An insured registers at most 20 endpoints"


class EndpointDisabled(Conflict):
    code = "WEBHOOK_ENDPOINT_DISABLED"
    title = "The endpoint is disabled: nothing is sent to it"


class AttemptUnderWay(Conflict):
    code = "WEBHOOK_ATTEMPT_UNDER_WAY"
    title = "The message is being tried now"


class RotationUnderWay(Conflict):
    code = "WEBHOOK_ROTATION_UNDER_WAY"
    title = "The former secret still signs: rotate again once its overlap has ended"


class InsuredRequired(InvalidInput):
    code = "INSURED_REQUIRED"
    title = "An admin registers an endpoint for a named insured"
