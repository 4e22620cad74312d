"""``GET /v1/sessions/{id}/export`` over real HTTP: every format of a real analysis, with no
server path in what a client downloads."""

from __future__ import annotations

import csv
import io
import json

from live_server import LiveServer
from videolens.timeline import SessionDocument


def test_the_json_export_is_the_result_document_without_server_paths(
    api: LiveServer, analysed: str
) -> None:
    data_dir = str(api.settings.data_dir)
    with api.client() as client:
        response = client.get(f"/v1/sessions/{analysed}/export", params={"format": "json"})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="{analysed}.json"'
    assert data_dir not in response.text
    document = SessionDocument.model_validate(json.loads(response.text))
    assert document.session_id == analysed and document.frames
    assert document.video.filename == "harbour walk.mp4" and document.video.path is None
    for moment in document.frames:
        assert moment.image == f"/v1/sessions/{analysed}/frames/{moment.index}/image"
    with api.client() as client:
        image = client.get(str(document.frames[0].image))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


def test_markdown_and_csv_exports_parse_and_name_each_moment(
    api: LiveServer, analysed: str
) -> None:
    with api.client() as client:
        frames = client.get(f"/v1/sessions/{analysed}/frames").json()["frames"]
        markdown = client.get(f"/v1/sessions/{analysed}/export", params={"format": "markdown"})
        table = client.get(f"/v1/sessions/{analysed}/export", params={"format": "csv"})
        unknown = client.get(f"/v1/sessions/{analysed}/export", params={"format": "docx"})
    assert markdown.status_code == 200 and markdown.text.startswith("#")
    assert str(api.settings.data_dir) not in markdown.text
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [float(row["timestamp_s"]) for row in rows] == [f["timestamp_s"] for f in frames]
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "format"
