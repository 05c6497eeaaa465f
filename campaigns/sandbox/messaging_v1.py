"""messaging.twilio.com/v1 in the sandbox: Messaging Services, their sender pools, A2P 10DLC
campaigns (`Compliance/Usa2p`) and toll-free verifications, read-only.

The shapes are the spec's (`twilio_messaging_v1.json`): every property listed, dates ISO 8601
UTC, list pages as `{<key>: [...], "meta": {...}}` with absolute page URLs (the SDK follows
`meta.next_page_url` as given). Resource `url`s point at this sandbox, not messaging.twilio.com,
so a client can follow them. Which sender a create through a service takes, and what
registration does to it, is `campaigns.sandbox.pools`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from campaigns.sandbox.config import SenderSpec, ServiceSpec, stable_sid
from campaigns.sandbox.http import Resource, error, json_response, paging
from campaigns.sandbox.pools import sender_region
from campaigns.sandbox.state import SandboxState

V1 = "/v1"
#: A2P campaign status per configured state (the spec's examples: IN_PROGRESS, VERIFIED,
#: FAILED); "unregistered" has no campaign at all.
_CAMPAIGN_STATUS = {"registered": "VERIFIED", "pending": "IN_PROGRESS", "failed": "FAILED"}
#: Toll-free verification status per configured state; "unverified" has no record.
_TOLL_FREE_STATUS = {
    "approved": "TWILIO_APPROVED",
    "pending": "IN_REVIEW",
    "rejected": "TWILIO_REJECTED",
}


def iso8601(moment: float) -> str:
    """`2026-11-20T09:00:00Z`: the v1 APIs' date format."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def number_sid(account_sid: str, address: str) -> str:
    """The PN SID of one of the account's numbers (the one IncomingPhoneNumbers shows)."""
    return stable_sid("PN", account_sid, address)


class MessagingV1(SandboxState):
    """The endpoints of messaging.twilio.com/v1 the sandbox serves."""

    def messaging_v1_resources(self) -> list[Resource]:
        """This API's resources (the server adds 404/405 answers around them)."""
        service = V1 + "/Services/{service}"
        return [
            (V1 + "/Services", {"GET": self.list_services}),
            (service, {"GET": self.fetch_service}),
            (service + "/PhoneNumbers", {"GET": self.list_phone_numbers}),
            (service + "/ShortCodes", {"GET": self.list_short_codes}),
            (service + "/AlphaSenders", {"GET": self.list_alpha_senders}),
            (service + "/Compliance/Usa2p", {"GET": self.list_a2p_campaigns}),
            (V1 + "/Tollfree/Verifications", {"GET": self.list_toll_free_verifications}),
        ]

    # ------------------------------------------------------------------ the endpoints
    async def list_services(self, request: web.Request) -> web.StreamResponse:
        rows = [self._service(request, s) for s in self.pools.services.values()]
        return self._page(request, "services", rows)

    async def fetch_service(self, request: web.Request) -> web.StreamResponse:
        service = self._service_or_404(request)
        if isinstance(service, web.Response):
            return service
        return json_response(self._service(request, service))

    async def list_phone_numbers(self, request: web.Request) -> web.StreamResponse:
        return self._pool_page(request, "phone_numbers", lambda s: s.kind != "short_code")

    async def list_short_codes(self, request: web.Request) -> web.StreamResponse:
        return self._pool_page(request, "short_codes", lambda s: s.kind == "short_code")

    async def list_alpha_senders(self, request: web.Request) -> web.StreamResponse:
        service = self._service_or_404(request)
        if isinstance(service, web.Response):
            return service
        rows = [self._alpha(request, service, alpha) for alpha in service.alpha_senders]
        return self._page(request, "alpha_senders", rows)

    async def list_a2p_campaigns(self, request: web.Request) -> web.StreamResponse:
        service = self._service_or_404(request)
        if isinstance(service, web.Response):
            return service
        if not self.config.compliance_readable:
            return _forbidden()
        rows = [] if service.a2p == "unregistered" else [self._a2p(request, service)]
        return self._page(request, "compliance", rows)

    async def list_toll_free_verifications(self, request: web.Request) -> web.StreamResponse:
        if not self.config.compliance_readable:
            return _forbidden()
        query = request.query
        rows = [
            self._verification(request, spec)
            for spec in self.config.senders
            if spec.kind == "toll_free" and spec.verification in _TOLL_FREE_STATUS
        ]
        wanted = query.get("TollfreePhoneNumberSid")
        if wanted is not None:
            rows = [r for r in rows if r["tollfree_phone_number_sid"] == wanted]
        status = query.get("Status")
        if status is not None:
            rows = [r for r in rows if r["status"] == status]
        return self._page(request, "verifications", rows)

    # ---------------------------------------------------------------- helpers
    def _service_or_404(self, request: web.Request) -> ServiceSpec | web.Response:
        service = self.pools.services.get(request.match_info["service"])
        if service is None:
            return error(20404, f"The requested resource {request.path} was not found", 404)
        return service

    def _pool_page(
        self, request: web.Request, key: str, kind: Callable[[SenderSpec], bool]
    ) -> web.StreamResponse:
        service = self._service_or_404(request)
        if isinstance(service, web.Response):
            return service
        specs = self.pools.specs
        pool = [specs[a] for a in service.senders if a in specs and kind(specs[a])]
        return self._page(request, key, [self._sender(request, service, s) for s in pool])

    def _page(self, request: web.Request, key: str, rows: list[dict[str, Any]]) -> web.Response:
        """One page of `rows` in the v1 shape; the page token is the next row's index."""
        size, number, token = paging(request.query)
        if size is None:
            return error(20001, "Invalid PageSize", 400)
        start = number * size
        if token and token.startswith("PT") and token[2:].isdigit():
            start = int(token[2:])
        chunk = rows[start : start + size]
        base = f"{_origin(request)}{request.path}"
        filters = {
            k: v for k, v in request.query.items() if k not in ("PageSize", "Page", "PageToken")
        }

        def url(page: int, token: str | None = None) -> str:
            params = {**filters, "PageSize": str(size), "Page": str(page)}
            if token is not None:
                params["PageToken"] = token
            return f"{base}?{urlencode(params)}"

        more = start + size < len(rows)
        return json_response(
            {
                key: chunk,
                "meta": {
                    "page": number,
                    "page_size": size,
                    "first_page_url": url(0),
                    "previous_page_url": url(number - 1, f"PT{max(0, start - size)}")
                    if number > 0
                    else None,
                    "url": url(number, token),
                    "next_page_url": url(number + 1, f"PT{start + size}") if more else None,
                    "key": key,
                },
            }
        )

    def _dates(self) -> tuple[str, str]:
        created = iso8601(self.created)
        return created, created

    def _service(self, request: web.Request, s: ServiceSpec) -> dict[str, Any]:
        url = f"{_origin(request)}{V1}/Services/{s.sid}"
        created, updated = self._dates()
        links = {
            name: f"{url}/{path}"
            for name, path in (
                ("phone_numbers", "PhoneNumbers"),
                ("short_codes", "ShortCodes"),
                ("alpha_senders", "AlphaSenders"),
                ("us_app_to_person", "Compliance/Usa2p"),
                ("us_app_to_person_usecases", "Compliance/Usa2p/Usecases"),
                ("channel_senders", "ChannelSenders"),
            )
        }
        return {
            "sid": s.sid,
            "account_sid": self.config.account_sid,
            "friendly_name": s.friendly_name,
            "date_created": created,
            "date_updated": updated,
            "inbound_request_url": None,
            "inbound_method": "POST",
            "fallback_url": None,
            "fallback_method": "POST",
            "status_callback": None,
            "sticky_sender": s.sticky_sender,
            "mms_converter": True,
            "smart_encoding": True,
            "scan_message_content": "inherit",
            "fallback_to_long_code": True,
            "area_code_geomatch": s.area_code_geomatch,
            "synchronous_validation": False,
            "validity_period": 14400,
            "url": url,
            "links": links,
            "usecase": s.usecase,
            "us_app_to_person_registered": s.a2p == "registered",
            "use_inbound_webhook_on_number": False,
        }

    def _sender(
        self, request: web.Request, service: ServiceSpec, spec: SenderSpec
    ) -> dict[str, Any]:
        account = self.config.account_sid
        created, updated = self._dates()
        capabilities = [
            name
            for name, has in (("SMS", spec.sms), ("MMS", spec.mms), ("Voice", spec.voice))
            if has
        ]
        base = f"{_origin(request)}{V1}/Services/{service.sid}"
        if spec.kind == "short_code":
            sid = stable_sid("SC", account, spec.address)
            return {
                "sid": sid,
                "account_sid": account,
                "service_sid": service.sid,
                "date_created": created,
                "date_updated": updated,
                "short_code": spec.address,
                "country_code": sender_region(spec),
                "capabilities": capabilities,
                "url": f"{base}/ShortCodes/{sid}",
            }
        sid = number_sid(account, spec.address)
        return {
            "sid": sid,
            "account_sid": account,
            "service_sid": service.sid,
            "date_created": created,
            "date_updated": updated,
            "phone_number": spec.address,
            "country_code": sender_region(spec),
            "capabilities": capabilities,
            "url": f"{base}/PhoneNumbers/{sid}",
        }

    def _alpha(self, request: web.Request, service: ServiceSpec, alpha: str) -> dict[str, Any]:
        sid = stable_sid("AI", self.config.account_sid, service.sid, alpha)
        created, updated = self._dates()
        return {
            "sid": sid,
            "account_sid": self.config.account_sid,
            "service_sid": service.sid,
            "date_created": created,
            "date_updated": updated,
            "alpha_sender": alpha,
            "capabilities": ["SMS"],
            "url": f"{_origin(request)}{V1}/Services/{service.sid}/AlphaSenders/{sid}",
        }

    def _a2p(self, request: web.Request, service: ServiceSpec) -> dict[str, Any]:
        account = self.config.account_sid
        sid = stable_sid("QE", account, service.sid)
        created, updated = self._dates()
        failed = service.a2p == "failed"
        return {
            "sid": sid,
            "account_sid": account,
            "brand_registration_sid": stable_sid("BN", account),
            "messaging_service_sid": service.sid,
            "description": "Campaign updates for people who signed up",
            "message_samples": ["Hi Ada, your order has shipped.", "Reply STOP to opt out."],
            "us_app_to_person_usecase": service.usecase.upper(),
            "has_embedded_links": False,
            "has_embedded_phone": False,
            "subscriber_opt_in": True,
            "age_gated": False,
            "direct_lending": False,
            "campaign_status": _CAMPAIGN_STATUS[service.a2p],
            "campaign_id": "C" + sid[2:8].upper(),
            "is_externally_registered": False,
            "rate_limits": None,
            "message_flow": "People sign up on the website and confirm by SMS.",
            "opt_in_message": None,
            "opt_out_message": None,
            "help_message": None,
            "opt_in_keywords": None,
            "opt_out_keywords": None,
            "help_keywords": None,
            "date_created": created,
            "date_updated": updated,
            "url": f"{_origin(request)}{V1}/Services/{service.sid}/Compliance/Usa2p/{sid}",
            "mock": False,
            "errors": [{"code": 30897, "description": "Disallowed content"}] if failed else [],
        }

    def _verification(self, request: web.Request, spec: SenderSpec) -> dict[str, Any]:
        account = self.config.account_sid
        sid = stable_sid("HH", account, spec.address)
        created, updated = self._dates()
        rejected = spec.verification == "rejected"
        fields: dict[str, Any] = dict.fromkeys(_VERIFICATION_FIELDS)
        fields.update(
            {
                "sid": sid,
                "account_sid": account,
                "date_created": created,
                "date_updated": updated,
                "business_name": "smscast sandbox",
                "business_country": "US",
                "use_case_categories": ["ACCOUNT_NOTIFICATIONS"],
                "use_case_summary": "Campaign updates for people who signed up",
                "opt_in_image_urls": [],
                "opt_in_type": "WEB_FORM",
                # The spec's nullable enums list no null: give each a value of its enum.
                "business_registration_authority": "EIN",
                "business_type": "PRIVATE_PROFIT",
                "vetting_provider": "CAMPAIGN_VERIFY",
                "message_volume": "10,000",
                "tollfree_phone_number_sid": number_sid(account, spec.address),
                "tollfree_phone_number": spec.address,
                "status": _TOLL_FREE_STATUS[spec.verification],
                "url": f"{_origin(request)}{V1}/Tollfree/Verifications/{sid}",
                "rejection_reason": "Opt-in process not shown" if rejected else None,
                "error_code": 30445 if rejected else None,
                "edit_allowed": rejected,
                "resource_links": {},
            }
        )
        return fields


#: Every property of a toll-free verification (the spec's), most of them null here.
_VERIFICATION_FIELDS = [
    "sid",
    "account_sid",
    "customer_profile_sid",
    "trust_product_sid",
    "date_created",
    "date_updated",
    "regulated_item_sid",
    "business_name",
    "business_street_address",
    "business_street_address2",
    "business_city",
    "business_state_province_region",
    "business_postal_code",
    "business_country",
    "business_website",
    "business_contact_first_name",
    "business_contact_last_name",
    "business_contact_email",
    "business_contact_phone",
    "notification_email",
    "use_case_categories",
    "use_case_summary",
    "production_message_sample",
    "opt_in_image_urls",
    "opt_in_type",
    "message_volume",
    "additional_information",
    "tollfree_phone_number_sid",
    "tollfree_phone_number",
    "status",
    "url",
    "rejection_reason",
    "error_code",
    "edit_expiration",
    "edit_allowed",
    "business_registration_number",
    "business_registration_authority",
    "business_registration_country",
    "business_type",
    "business_registration_phone_number",
    "doing_business_as",
    "opt_in_confirmation_message",
    "help_message_sample",
    "privacy_policy_url",
    "terms_and_conditions_url",
    "age_gated_content",
    "opt_in_keywords",
    "rejection_reasons",
    "resource_links",
    "external_reference_id",
    "vetting_id",
    "vetting_provider",
    "vetting_id_expiration",
]


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _forbidden() -> web.Response:
    """What an API key without the compliance permission meets (assumed: HTTP 403 with code
    20003, the code Twilio gives for authentication and permission failures)."""
    return error(20003, "Permission denied: this key cannot read compliance resources", 403)
