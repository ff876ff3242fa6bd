"""Calls one action through one of Alibaba's two Python SDK families, with its typed request
model, against an endpoint such as `netform sim serve`.

- `Tea`: the V3 SDKs (`alibabacloud_<product><version>.client.Client` with
  `alibabacloud_tea_openapi.models.Config`), which sign with ACS3-HMAC-SHA256. The request is the
  SDK's `<Action>Request` model and the answer is decoded by the SDK into `<Action>ResponseBody`.
- `Classic`: `aliyunsdkcore.client.AcsClient` with the per-action request classes of
  `aliyun-python-sdk-<product>`, which sign with HMAC-SHA1 (V1). The classic family has no answer
  models; its JSON answer is decoded with the Tea response model, as a caller would.

Parameters are given once, with Alibaba's wire names and nesting (`{"Tag": [{"Key": "a"}]}`), and
each family puts them into its own typed request: Tea through the model's `from_map`, classic
through the setter that writes that parameter. A parameter the SDK's request model does not have
is a `HarnessError` (the test asked for something the SDK cannot send), never silently dropped.

A refused call raises `ApiError` (code, HTTP status, request id) translated from the SDK's own
exception (`TeaException`, `ServerException`); any other exception is left to propagate, since a
conforming server never causes one.
"""

import json

import sdk_models


class HarnessError(Exception):
    """The test asked an SDK for something its model does not have."""


class ApiError(Exception):
    def __init__(self, sdk_exception, code, status, request_id, message, body=None):
        super().__init__(f"{code} (HTTP {status}): {message}")
        self.sdk_exception = sdk_exception
        self.code = code
        self.status = status
        self.request_id = request_id
        self.message = message
        self.body = body


class Answer:
    """A successful answer: `raw` is the JSON the server sent, `decoded` what the SDK's typed
    response model holds of it (`to_map` of the model), `model` the model itself."""

    def __init__(self, raw, decoded, model, status):
        self.raw = raw
        self.decoded = decoded
        self.model = model
        self.status = status


def _check_params(shape, params, where):
    """Raises HarnessError for a parameter (at any depth) the Tea model does not have."""
    for key, value in params.items():
        field = shape.get(key)
        if field is None:
            raise HarnessError(f"{where} has no parameter {key}")
        if field.kind == "object" and isinstance(value, dict):
            _check_params(field.shape, value, f"{where}.{key}")
        if field.kind == "objects" and isinstance(value, list):
            for item in value:
                _check_params(field.shape, item, f"{where}.{key}[]")


class Tea:
    name = "tea V3"

    def __init__(self, endpoint, key_id, secret, region):
        from alibabacloud_tea_openapi.models import Config

        self.region = region
        self.clients = {}
        self.config = lambda: Config(
            endpoint=endpoint,
            protocol="http",
            access_key_id=key_id,
            access_key_secret=secret,
            region_id=region,
        )
        self.last_raw = None

    def client(self, product):
        if product not in self.clients:
            client = sdk_models.tea_client_class(product)(self.config())
            call_api = client.call_api

            def recording(params, request, runtime):
                # The SDK decodes what this returns; keep the undecoded answer beside it.
                out = call_api(params, request, runtime)
                self.last_raw = out
                return out

            client.call_api = recording
            self.clients[product] = client
        return self.clients[product]

    def call(self, product, action, params, region=None):
        from Tea.exceptions import TeaException

        cls = sdk_models.tea_request_class(product, action)
        method = sdk_models.tea_method(product, action)
        if cls is None or method is None:
            raise HarnessError(f"the Tea SDK has no {product} action {action}")
        shape = sdk_models.tea_shape(cls)
        params = dict(params)
        if "RegionId" in shape:
            params.setdefault("RegionId", region or self.region)
        _check_params(shape, params, cls.__name__)
        request = cls().from_map(params)
        client = self.client(product)
        self.last_raw = None
        try:
            response = getattr(client, method)(request)
        except TeaException as e:
            data = e.data if isinstance(e.data, dict) else {}
            status = getattr(e, "statusCode", None) or data.get("statusCode")
            message = data.get("Message", e.message)
            raise ApiError("TeaException", e.code, status, data.get("RequestId"), message, data)
        raw = (self.last_raw or {}).get("body")
        return Answer(raw, response.body.to_map(), response.body, response.status_code)


class Classic:
    name = "classic V1"

    def __init__(self, endpoint, key_id, secret, region):
        self.endpoint = endpoint
        self.key_id = key_id
        self.secret = secret
        self.region = region
        self.clients = {}

    def client(self, region):
        from aliyunsdkcore.client import AcsClient

        if region not in self.clients:
            # No automatic retries: every refusal reaches the test as it was sent.
            self.clients[region] = AcsClient(self.key_id, self.secret, region, auto_retry=False)
        return self.clients[region]

    def request(self, product, action, params):
        """The classic SDK's typed request for `action`, filled in through its setters."""
        cls = sdk_models.classic_request_class(product, action)
        setters = sdk_models.classic_setters(product, action)
        if cls is None:
            raise HarnessError(f"the classic SDK has no {product} action {action}")
        request = cls()
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        request.set_accept_format("JSON")
        for key, value in params.items():
            names = [s for s, pats in setters.items() if pats and all(p.split(".")[0] == key for p in pats)]
            if len(names) != 1:
                raise HarnessError(f"{cls.__name__} has {len(names) or 'no'} setter(s) for {key}")
            getattr(request, names[0])(value)
        return request

    def call(self, product, action, params, region=None):
        from aliyunsdkcore.acs_exception.exceptions import ServerException

        params = dict(params)
        region = params.pop("RegionId", None) or region or self.region
        request = self.request(product, action, params)
        try:
            body = self.client(region).do_action_with_exception(request)
        except ServerException as e:
            raise ApiError(
                "ServerException", e.get_error_code(), e.get_http_status(), e.get_request_id(), e.get_error_msg()
            )
        raw = json.loads(body)
        model_cls = sdk_models.tea_model(product, action + "ResponseBody")
        model = model_cls().from_map(raw) if model_cls else None
        return Answer(raw, model.to_map() if model else raw, model, 200)
