"""Every operation of /api/v1/openapi.json, fed what schemathesis generates from the document
itself, as a librarian: never a server error, and every answer is one the document describes
(its status code, its content type, its JSON schema).

The requests go through Django's test client, inside the test database, so the library they
reach is the fixture below: path and body fields naming a barcode, a card or a title id are
sometimes swapped for one that exists, so the answers include found rows and refusals, not
only "not found". CI runs a few dozen examples per operation, derandomized; SHUXIANG_SOAK=1
runs twenty times as many.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
import schemathesis
from django.db import transaction
from django.http.response import HttpResponseBase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shuxiang.accounts.models import ApiToken
from shuxiang.catalog.models import Record
from shuxiang.circulation import services
from shuxiang.circulation.tests.service_case import ServiceTestCase
from shuxiang.tests_reliability.soak import examples

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
Operation = APIOperation[Any, Any, Any, Any]
# Field names whose values the fixture can make real: a path parameter or a body property.
BARCODES = ["T0001", "T0002", "D0001", "M0001"]
CARDS = ["P0001", "P0002", "P0003"]


class OpenApiFuzzTests(ServiceTestCase):
    token: str

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # Ada has both copies of 西游记 out and Tom waits for one, so a patron's answer has
        # loans and holds and a checkout of T0001 is refused as already lent.
        services.check_out(cls.ada_patron, "T0001", cls.desk)
        services.check_out(cls.ada_patron, "T0002", cls.desk)
        services.place_hold(cls.tom_patron, cls.journey, cls.desk)
        cls.token = ApiToken.mint(cls.lena)[1]

    def setUp(self) -> None:
        super().setUp()
        document = self.client.get("/api/v1/openapi.json").json()
        self.schema = schemathesis.openapi.from_dict(document)
        self.known: dict[str, list[Any]] = {
            "barcode": BARCODES,
            "item": BARCODES,
            "card": CARDS,
            "patron": CARDS,
            "record_id": [self.journey.pk, self.dictionary.pk],
            "record": [self.journey.pk, self.dictionary.pk],
        }

    def operations(self) -> list[Operation]:
        found = []
        for result in self.schema.get_all_operations():
            assert isinstance(result, Ok), result  # an operation the document cannot describe
            found.append(result.ok())
        return found

    def test_it_fuzzes_every_operation_of_the_document(self) -> None:
        # A guard against a schema that silently loads empty: the test would pass on nothing.
        paths = {op.path for op in self.operations()}
        self.assertLessEqual({"/api/v1/checkouts", "/api/v1/patrons/{card}"}, paths)
        self.assertGreaterEqual(len(paths), 10)

    def test_it_answers_every_generated_request_as_the_document_says(self) -> None:
        for operation in self.operations():
            with self.subTest(operation=f"{operation.method.upper()} {operation.path}"):
                self.fuzz(operation)

    def fuzz(self, operation: Operation) -> None:
        @settings(
            max_examples=examples(30),
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(case=operation.as_strategy(), real=st.data())
        def run(case: Case[Any], real: st.DataObject) -> None:
            self.make_real(case, real)
            # Each example in its own savepoint: a checkout one example makes is undone.
            with transaction.atomic():
                self.call(case)
                transaction.set_rollback(True)

        run()

    def make_real(self, case: Case[Any], real: st.DataObject) -> None:
        """Half the time, swap a generated barcode, card or id for one in the fixture."""
        for values in (case.path_parameters, case.body):
            if not isinstance(values, dict):
                continue
            for name in list(values):
                if name in self.known and real.draw(st.booleans(), label=f"real {name}"):
                    values[name] = real.draw(st.sampled_from(self.known[name]), label=name)

    def call(self, case: Case[Any]) -> None:
        auth = {"Authorization": f"Bearer {self.token}"}
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=auth)
        sent = requests.Request(
            method=kwargs["method"],
            url=kwargs["url"],
            headers=kwargs["headers"],
            params=kwargs.get("params"),
            json=kwargs.get("json"),
            data=kwargs.get("data"),
        ).prepare()
        url = urlsplit(sent.url or "")
        body = sent.body.encode() if isinstance(sent.body, str) else sent.body or b""
        answer = self.client.generic(
            sent.method or "GET",
            f"{url.path}?{url.query}" if url.query else url.path,
            data=body,
            content_type=str(sent.headers.get("Content-Type", "application/octet-stream")),
            headers=auth,
        )
        case.validate_response(wrap(answer, answer.content, sent), checks=CHECKS)


def wrap(answer: HttpResponseBase, content: bytes, sent: requests.PreparedRequest) -> Response:
    """Django's answer in the shape schemathesis checks."""
    return Response(
        status_code=answer.status_code,
        headers={name: [value] for name, value in answer.headers.items()},
        content=content,
        request=sent,
        elapsed=0.0,
        verify=False,
        encoding=answer.charset,
    )


class FoundByTheFuzzTests(ServiceTestCase):
    """What the fuzz found, each pinned by its example."""

    def test_it_documents_the_refusals_an_operation_gives(self) -> None:
        # Before: only the 200 was listed, so the 404 for an unknown barcode was, by the
        # document, an answer that could not happen.
        document = self.client.get("/api/v1/openapi.json").json()
        answers = document["paths"]["/api/v1/items/{barcode}"]["get"]["responses"]
        self.assertEqual(set(answers), {"200", "401", "404"})
        ref = answers["404"]["content"]["application/json"]["schema"]["$ref"]
        self.assertEqual(ref.rsplit("/", 1)[-1], "ErrorOut")
        r = self.client.get("/api/v1/items/NOPE", headers=self.auth(self.lena))
        self.assertEqual((r.status_code, r.json()["error"]), (404, "not_found"))

    def test_it_refuses_a_nul_in_a_json_field_with_a_422_and_keeps_nothing(self) -> None:
        # Before: a title "\u0000" reached the INSERT, and PostgreSQL answered with an error
        # (a 500); on SQLite the record was saved.
        before = Record.objects.count()
        r = self.client.post(
            "/api/v1/records",
            data='{"title": "\\u0000"}',
            content_type="application/json",
            headers=self.auth(self.lena),
        )
        self.assertEqual((r.status_code, r.json()["error"]), (422, "invalid_request"))
        self.assertIn("NUL", r.json()["message"])
        self.assertEqual(Record.objects.count(), before)

    def test_it_refuses_a_nul_in_a_path_with_a_422(self) -> None:
        for url in ("/api/v1/items/T%000", "/api/v1/patrons/P%000"):
            with self.subTest(url=url):
                r = self.client.get(url, headers=self.auth(self.lena))
                self.assertEqual((r.status_code, r.json()["error"]), (422, "invalid_request"))
