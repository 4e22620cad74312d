"""What the web UI does with a finished session, in Chromium against the real server: each export
button downloads a file that parses, a session is renamed and run again with other options, a
search finds moments of every session, detection boxes of real footage are drawn over the frame,
the player's keys work, and a moment card says each fact once."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from chromium_browser import needs_chromium, new_page
from live_server import LiveServer, analysed_upload, final_status
from real_media import opencv_data_file
from videolens.timeline import SessionDocument
from videolens.video.synthetic import Shot, write_clip

expect.set_options(timeout=30_000)
pytestmark = [needs_chromium, pytest.mark.timeout(900)]

SRT_CUE = re.compile(r"^\d+\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n.+", re.MULTILINE)
VTT_CUE = re.compile(r"^(\d\d:)?\d\d:\d\d\.\d{3} --> (\d\d:)?\d\d:\d\d\.\d{3}", re.MULTILINE)
SHOTS = Path("/tmp/videolens-web-shots")
CHAPTER = re.compile(r"^(\d+:)?\d{1,2}:\d\d .+$")


@pytest.fixture(scope="module")
def harbour(shared_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    clip = write_clip(
        tmp_path_factory.mktemp("tools") / "harbour.mp4",
        [
            # 33 s: YouTube chapters need three of at least 10 s.
            Shot(11.0, (200, 60, 40), "WELCOME"),
            Shot(11.0, (40, 90, 200), "HARBOR"),
            Shot(11.0, (230, 210, 60), "SUNRISE"),
        ],
    )
    with httpx.Client(base_url=shared_server.url, timeout=60) as client:
        return analysed_upload(shared_server, client, clip.path, "harbour walk.mp4")


@pytest.fixture
def page(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    size = {"width": 1366, "height": 900}
    with new_page(browser, page_errors, viewport=size, accept_downloads=True) as opened:
        yield opened
        assert page_errors == []


def _open(page: Page, live: LiveServer, session_id: str) -> None:
    page.goto(f"{live.url}/#/sessions/{session_id}")
    expect(page.locator("#session-status")).to_have_text("completed")
    expect(page.locator("#moments .moment")).not_to_have_count(0)


def _export(page: Page, label: str, target: Path) -> bytes:
    expect(page.locator("#export-links")).to_be_hidden()  # choosing an export closes the menu
    page.locator("#export-menu > summary").click()
    with page.expect_download() as started:
        page.locator("#export-links").get_by_role("button", name=label, exact=True).click()
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename.startswith("harbour_walk.")
    download.save_as(target / download.suggested_filename)
    return (target / download.suggested_filename).read_bytes()


def test_each_export_button_downloads_a_file_that_parses(
    page: Page, shared_server: LiveServer, harbour: str, tmp_path: Path
) -> None:
    _open(page, shared_server, harbour)
    moments = page.locator("#moments .moment").count()

    document = SessionDocument.model_validate(json.loads(_export(page, "JSON", tmp_path)))
    assert document.session_id == harbour and len(document.frames) == moments

    markdown = _export(page, "Markdown", tmp_path).decode()
    assert markdown.startswith("# ") and "WELCOME" in markdown

    # No speech in this clip (speech is off): only the moments are offered as subtitles.
    page.locator("#export-menu > summary").click()
    expect(page.get_by_role("button", name="Speech subtitles (SRT)")).to_be_hidden()
    page.locator("#export-menu > summary").click()
    # A cue per moment, a moment said again straight after joined to the one before.
    srt = _export(page, "Moments as subtitles (SRT)", tmp_path).decode()
    cues = SRT_CUE.findall(srt)
    assert 1 <= len(cues) <= moments and "WELCOME" in cues[0], srt
    assert [cue.split("\n")[0] for cue in cues] == [str(i + 1) for i in range(len(cues))]

    vtt = _export(page, "Moments as subtitles (WebVTT)", tmp_path).decode()
    assert vtt.startswith("WEBVTT") and len(VTT_CUE.findall(vtt)) == len(cues), vtt

    rows = list(csv.DictReader(io.StringIO(_export(page, "CSV", tmp_path).decode())))
    assert len(rows) == moments and all(row["description"] for row in rows)

    chapters = _export(page, "YouTube chapters", tmp_path).decode().strip().splitlines()
    assert chapters[0].startswith("0:00") or chapters[0].startswith("00:00"), chapters
    assert all(CHAPTER.match(line) for line in chapters), chapters

    sheet = Image.open(io.BytesIO(_export(page, "Contact sheet (JPEG)", tmp_path)))
    assert sheet.format == "JPEG" and sheet.width > 0 and sheet.height > 0


def test_a_session_is_renamed_and_run_again_with_other_options(
    page: Page, shared_server: LiveServer, harbour: str
) -> None:
    _open(page, shared_server, harbour)
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("Session title").fill("Harbour at dawn")
    page.get_by_label("Session title").press("Enter")
    expect(page.locator("#session-title")).to_have_text("Harbour at dawn")
    row = page.locator(f'.session-item[data-session-id="{harbour}"]')
    expect(row.locator(".session-name")).to_have_text("Harbour at dawn")
    expect(row.locator(".session-sub")).to_contain_text("harbour walk.mp4")

    page.locator("#rerun-menu > summary").click()
    page.get_by_label("Sampling").last.select_option("interval")
    page.locator("#rerun-interval").fill("5")
    page.get_by_role("button", name="Start a new analysis").click()
    expect(page).not_to_have_url(re.compile(f"#/sessions/{harbour}$"))
    rerun = page.url.rsplit("/", 1)[-1]
    assert final_status(f"{shared_server.ws_url}/v1/sessions/{rerun}/events") == "completed"
    expect(page.locator("#session-title")).to_have_text("Harbour at dawn")
    expect(page.locator("#session-status")).to_have_text("completed")
    with httpx.Client(base_url=shared_server.url, timeout=30) as client:
        options = client.get(f"/v1/sessions/{rerun}").json()["options"]
    assert options["strategy"] == "interval" and options["interval_s"] == 5

    # A bad option is said in the form, and no session is made.
    page.locator("#rerun-menu > summary").click()
    page.locator("#rerun-backend").fill("nonesuch")
    page.get_by_role("button", name="Start a new analysis").click()
    expect(page.locator("#rerun-error")).to_contain_text("nonesuch")
    assert page.url.endswith(rerun)


def test_search_finds_moments_in_every_session_and_opens_them(
    page: Page, shared_server: LiveServer, harbour: str
) -> None:
    page.goto(shared_server.url)
    page.locator("body").press("/")
    expect(page.locator("#global-search-input")).to_be_focused()
    page.keyboard.type("SUNRISE")
    page.keyboard.press("Enter")
    hits = page.locator("#search-results .search-hit")
    expect(hits).not_to_have_count(0)
    expect(page.locator("#search-meta")).to_contain_text("SUNRISE")
    first = hits.first
    expect(first).to_contain_text("SUNRISE")
    first.locator("a").click()
    expect(page).to_have_url(re.compile(r"#/sessions/[a-z0-9]{12}\?t=[\d.]+$"))
    expect(page.locator("#session-status")).to_have_text("completed")
    at = float(page.url.rsplit("=", 1)[-1])
    page.wait_for_function(
        "t => Math.abs(document.getElementById('player').currentTime - t) < 0.25", arg=at
    )

    page.locator("#global-search-input").fill("zebra crossing in the snow")
    page.locator("#global-search-input").press("Enter")
    expect(page.locator("#search-meta")).to_contain_text("Nothing in your sessions")


def test_player_keys_and_their_help(page: Page, shared_server: LiveServer, harbour: str) -> None:
    _open(page, shared_server, harbour)
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    time_now = "() => document.getElementById('player').currentTime"
    page.locator("body").press("l")
    page.wait_for_function(f"() => Math.abs(({time_now})() - 10) < 0.1")
    page.locator("body").press("j")
    page.wait_for_function(f"() => ({time_now})() < 0.5")
    page.locator("body").press("ArrowRight")
    page.wait_for_function(f"() => Math.abs(({time_now})() - 5) < 0.1")
    page.locator("body").press("ArrowLeft")
    page.wait_for_function(f"() => ({time_now})() < 0.1")
    page.locator("body").press(" ")
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.locator("body").press("k")
    page.wait_for_function("() => document.getElementById('player').paused")
    page.locator("body").press("?")
    expect(page.get_by_role("dialog", name="Keyboard")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()
    # Typing in a field is not a key for the player.
    page.get_by_role("tab", name="Moments").click()
    page.locator("#moment-filter").type("l ")
    assert page.evaluate(time_now) < 0.5
    link = page.get_by_role("link", name="API docs")
    assert link.get_attribute("href") == "/docs"


def test_detection_boxes_of_real_footage_are_drawn_over_the_frame(
    page: Page, shared_server: LiveServer, tmp_path: Path
) -> None:
    walk = tmp_path / "people.mp4"  # 5 s of vtest.avi (768x576, people walking) as H.264
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(opencv_data_file("vtest.avi")), "-t", "5",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(walk)],
        check=True, timeout=120,
    )  # fmt: skip
    with httpx.Client(base_url=shared_server.url, timeout=60) as client:
        session_id = analysed_upload(shared_server, client, walk, "people.mp4")
        frames = client.get(f"/v1/sessions/{session_id}/frames").json()["frames"]
    boxed = [f for f in frames if f.get("detections")]
    assert boxed, "the detector found nobody in vtest.avi"
    frame = boxed[0]
    _open(page, shared_server, session_id)
    page.locator(f'#moments .moment[data-index="{frame["index"]}"]').click()
    page.get_by_role("button", name="Show boxes").click()
    expect(page.get_by_role("button", name="Hide boxes")).to_have_attribute("aria-pressed", "true")
    boxes = page.locator("#box-layer .box")
    expect(boxes).to_have_count(len(frame["detections"]))
    expect(page.locator("#boxes-note")).to_contain_text(f"{len(frame['detections'])} box")
    # Each box sits where its normalised coordinates say, over the picture.
    layer = page.locator("#box-layer").bounding_box()
    video = page.locator("#player").bounding_box()
    assert layer and video
    assert (
        layer["x"] >= video["x"] - 1
        and layer["x"] + layer["width"] <= video["x"] + video["width"] + 1
    )
    assert layer["width"] / layer["height"] == pytest.approx(768 / 576, rel=0.02)
    first = boxes.first.bounding_box()
    x0, y0, _, _ = frame["detections"][0]["box"]
    assert first
    assert first["x"] == pytest.approx(layer["x"] + x0 * layer["width"], abs=2)
    assert first["y"] == pytest.approx(layer["y"] + y0 * layer["height"], abs=2)
    expect(boxes.first.locator(".box-label")).to_contain_text(frame["detections"][0]["label"])
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "boxes-desktop.png"))
    page.locator("body").press("b")
    expect(boxes).to_have_count(0)


def test_a_moment_card_says_each_fact_once(page: Page, shared_server: LiveServer) -> None:
    page.goto(shared_server.url)
    facts = page.evaluate(
        """async () => (await import("./moment_facts.js")).momentFacts({
          text: ["EXIT", "exit"], shot_start: true,
          people: ["person", "person", "person"],
          objects: ["3 people", "car", "truck", "car"],
          actions: ["camera/scene change"],
        }).map((f) => f.text)"""
    )
    assert facts == ["EXIT", "new shot", "3 people", "2 × car", "truck"]
    counted = page.evaluate(
        """async () => (await import("./moment_facts.js")).momentFacts({
          people: ["person", "person"], objects: ["dog"]}).map((f) => f.text)"""
    )
    assert counted == ["2 people", "dog"]


def test_a_box_names_its_track_when_it_has_one(page: Page, shared_server: LiveServer) -> None:
    page.goto(shared_server.url)
    labels = page.evaluate(
        """async () => {
          const { boxLabel } = await import("./boxes.js");
          return [boxLabel({label: "person", score: 0.874, box: [0, 0, 1, 1], track_id: 3}),
                  boxLabel({label: "car", score: 0.5, box: [0, 0, 1, 1], track_id: null})];
        }"""
    )
    assert labels == ["person 87% #3", "car 50%"]
