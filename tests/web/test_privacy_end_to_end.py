"""No personal data of a covered type reaches the database file or the logs, in any flow."""

from __future__ import annotations

from pathlib import Path

import pytest
from web_client import AppClient, web_settings_for

from civicdesk.casework.tokens import citizen_token
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.web.app import create_app

SECRETS = {
    "UK_NINO": "AB 12 34 56 C",
    "EMAIL_ADDRESS": "jo.bloggs@example.com",
    "PHONE_NUMBER": "07700 900123",
    "UK_POSTCODE": "CF10 1AA",
}
QUESTION = (
    f"My National Insurance number is {SECRETS['UK_NINO']}, my email is "
    f"{SECRETS['EMAIL_ADDRESS']} and my phone is {SECRETS['PHONE_NUMBER']}. "
    f"I live at {SECRETS['UK_POSTCODE']}. When are black bins collected?"
)


def test_personal_data_never_reaches_the_database_or_the_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = web_settings_for(tmp_path, log_format="json", log_level="DEBUG")
    app = create_app(settings)
    migrate.upgrade(app.state.engine)
    ingest_paths(settings, app.state.engine, [sample_council_path()])
    client = AppClient(app)

    api = client.post("/api/v1/inquiries", json={"text": QUESTION})
    assert api.status_code == 200
    assert set(SECRETS) <= set(api.json()["removed_data_types"])
    page = client.post("/ask", data={"text": QUESTION})
    assert page.status_code == 200
    reference = api.json()["reference"]
    token = citizen_token(settings, reference)
    client.post(f"/inquiries/{reference}/feedback", data={"useful": "yes", "token": token})
    client.post(f"/inquiries/{reference}/person", data={"token": token})
    too_long = client.post("/api/v1/inquiries", json={"text": QUESTION + "x" * 4000})
    assert too_long.status_code == 413
    app.state.engine.dispose()

    logs = capsys.readouterr().err
    assert "request" in logs  # the access log was written and captured
    stored = b"".join(p.read_bytes() for p in settings.data_dir.glob("civicdesk.db*"))
    for kind, value in SECRETS.items():
        assert value not in logs, f"{kind} reached the logs"
        assert value.encode() not in stored, f"{kind} reached the database"
        assert value.replace(" ", "").encode() not in stored, f"{kind} reached the database"
