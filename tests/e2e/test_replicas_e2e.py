"""Two LabelDeck replicas behind HAProxy (deploy/haproxy.cfg) against one PostgreSQL: two reviewers, each kept on a
replica of their own by the sticky cookie (their WebSockets too), review the same job; each sees the other's
decisions after a rerun, a decision made from a view another replica had made stale is left as it is and said so,
and the event log replays exactly to the states."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.load_browser_replay import replay_problems
from core.demo.seed import seed_demo
from core.store.db import get_engine
from deploy.cluster import REPLICA_HEADER, REPLICA_NAMES, STICKY_COOKIE, Cluster, haproxy_binary
from tests.conftest import PG_URL_ENV, _pg_schema_url
from tests.e2e.conftest import _free_port, add_accounts, idle, screenshot
from tests.e2e.test_visualize_e2e import TILES, open_street_scenes

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, str]]:
    """Two replicas and the proxy on free loopback ports, one PostgreSQL schema, one data folder; reviewers sign in
    with a password, so every event names who decided."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"{PG_URL_ENV} is not set (.ci/run sets it): replicas share a PostgreSQL store")
    try:
        haproxy_binary()
    except FileNotFoundError as error:
        pytest.fail(f"{error} (make test installs it, as root)")
    schema = _pg_schema_url(base)
    url = next(schema)
    root = tmp_path_factory.mktemp("replicas")
    data_dir = root / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABELDECK_DATA_DIR", str(data_dir))
        seed_demo(engine=get_engine(url), detection_images=24, classification_images=16)
        add_accounts(get_engine(url), ann="reviewer", ben="reviewer")
    cluster = Cluster(
        database_url=url,
        data_dir=data_dir,
        log_dir=root / "logs",
        proxy_port=_free_port(),
        ports=(_free_port(), _free_port()),
        settings={"LABELDECK_AUTH": "password"},
    )
    try:
        cluster.start()
        yield cluster, url
    finally:
        cluster.stop()
        next(schema, None)  # drops the schema


def _replica_of_websockets(page) -> list[str]:
    """The replica header of every WebSocket handshake of the page (Chromium's DevTools protocol: Playwright does
    not expose a WebSocket's response headers)."""
    seen: list[str] = []
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.webSocketHandshakeResponseReceived",
        lambda event: seen.append(
            {k.lower(): v for k, v in event["response"]["headers"].items()}.get(REPLICA_HEADER.lower(), "?")
        ),
    )
    return seen


def _sticky(page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == STICKY_COOKIE), None)


def _reviewer(browser, cluster: Cluster, name: str, avoid: str | None = None):
    """A browser context signed in as `name` on Visualize of the street scenes; with `avoid`, on the other
    replica (round robin gives a new browser the next replica; asked again should something else have taken it)."""
    for _ in range(3):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        sockets = _replica_of_websockets(page)
        open_street_scenes(page, cluster.url, user=name)
        if avoid is None or _sticky(page) != avoid:
            return page, sockets
        context.close()
    raise AssertionError(f"the proxy sent every new browser of {name} to {avoid}")


def _tab_count(page, tab: str) -> int:
    label = page.locator(".st-key-tab [role='radio']").filter(has_text=re.compile(rf"^{tab} [\d,]+$"))
    return int(label.inner_text().rsplit(" ", 1)[1].replace(",", ""))


def _expect_tab(page, tab: str, count: int) -> None:
    expect(page.locator(".st-key-tab [role='radio']").filter(has_text=re.compile(rf"^{tab} {count:,}$"))).to_have_count(
        1
    )


def _pick(page, count: int) -> list[int]:
    """Pick the first `count` tiles of the grid, one click (and rerun) each; their result ids."""
    ids = []
    for index in range(count):
        idle(page)
        tile = page.locator(TILES).nth(index)
        ids.append(int(tile.get_attribute("data-result")))
        tile.locator(".ld-pick").check()
        expect(page.get_by_role("button", name=re.compile(rf"^Accept {index + 1} picked$"))).to_be_visible()
    idle(page)
    return ids


def _reject_picked(page, count: int) -> None:
    page.get_by_role("button", name=f"Reject {count} picked").first.click()
    page.get_by_role("dialog").get_by_role("button", name=f"Reject {count} picked").click()
    idle(page)
    # the popover closes itself: left open, its button would now read "Reject N shown"
    expect(page.get_by_role("dialog").get_by_role("button", name=re.compile(r"^Reject "))).to_have_count(0)


def _rerun(page) -> None:
    """A rerun, as any click makes one: Streamlit's R shortcut (the page reads the states anew)."""
    idle(page)
    page.locator("body").press("r")
    idle(page)


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.read()


def _logged_moves(cluster: Cluster) -> dict[str, list[dict]]:
    """review.move / review.undo log lines of each replica (JSON lines on its stderr)."""
    moves: dict[str, list[dict]] = {}
    for replica in cluster.replicas:
        lines = Path(replica.log_path).read_text(errors="replace").splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        moves[replica.name] = [r for r in records if str(r.get("event", r.get("msg", ""))).startswith("review.")]
    return moves


def test_reviewers_on_two_replicas_see_each_others_decisions_and_the_log_replays(cluster, browser):
    cluster, url = cluster
    ann, ann_sockets = _reviewer(browser, cluster, "ann")
    ben, ben_sockets = _reviewer(browser, cluster, "ben", avoid=_sticky(ann))
    try:
        on = {"ann": _sticky(ann), "ben": _sticky(ben)}
        assert set(on.values()) == set(REPLICA_NAMES), f"each reviewer on a replica of their own: {on}"
        # every WebSocket (the Streamlit session itself) went where the cookie says, reconnects included
        assert ann_sockets and set(ann_sockets) == {on["ann"]}, ann_sockets
        assert ben_sockets and set(ben_sockets) == {on["ben"]}, ben_sockets
        job_id = int(re.search(r"job=(\d+)", ann.url).group(1))
        engine = get_engine(url)
        pending = _tab_count(ann, "Pending Review")
        _expect_tab(ben, "Pending Review", pending)
        # a thumbnail URL one replica signed is served by either (the shared cookie secret, the shared data folder)
        src = ann.locator(f"{TILES} img").first.get_attribute("src")
        served = {name: _get(f"{cluster.replica_url(i)}/{src}") for i, name in enumerate(REPLICA_NAMES)}
        assert {name: status for name, (status, _) in served.items()} == dict.fromkeys(REPLICA_NAMES, 200)
        assert len({body for _, body in served.values()}) == 1

        # ben picks two tiles; before he acts, ann (on the other replica) accepts three, those two among them
        ben_stale = _pick(ben, 2)
        accepted = _pick(ann, 3)
        assert set(ben_stale) <= set(accepted)
        ann.get_by_role("button", name="Accept 3 picked").click()
        expect(ann.get_by_text("Accepted 3 results")).to_be_visible()
        _expect_tab(ann, "Accepted", 3)
        _expect_tab(ann, "Pending Review", pending - 3)
        screenshot(ann, f"replicas-ann-on-{on['ann']}-accepted-3")

        # ben's view was made before: his rejection of what he saw leaves ann's decisions as they are, says so,
        # and the rerun after it shows ann's decisions
        _reject_picked(ben, 2)
        expect(ben.get_by_text(re.compile(r"Rejected 0 results · 2 had been changed by someone else"))).to_be_visible()
        _expect_tab(ben, "Accepted", 3)
        _expect_tab(ben, "Rejected", 0)
        _expect_tab(ben, "Pending Review", pending - 3)
        screenshot(ben, f"replicas-ben-on-{on['ben']}-sees-anns-accepts", full_page=False)

        rejected = _pick(ben, 2)
        assert not set(rejected) & set(accepted)
        _reject_picked(ben, 2)
        expect(ben.get_by_text("Rejected 2 results")).to_be_visible()
        _expect_tab(ben, "Rejected", 2)

        # ann's page is stale until its next run: a rerun shows ben's rejections, and the Rejected tab his tiles
        _expect_tab(ann, "Rejected", 0)
        _rerun(ann)
        _expect_tab(ann, "Rejected", 2)
        _expect_tab(ann, "Pending Review", pending - 5)
        ann.locator(".st-key-tab [role='radio']").filter(has_text=re.compile(r"^Rejected 2$")).click()
        expect(ann).to_have_url(re.compile(r"tab=rejected"))
        idle(ann)
        expect(ann.locator(TILES)).to_have_count(2)
        assert sorted(int(t.get_attribute("data-result")) for t in ann.locator(TILES).all()) == sorted(rejected)
        screenshot(ann, f"replicas-ann-on-{on['ann']}-sees-bens-rejects")

        # ann undoes her accept (on her replica); ben sees it at his next run
        ann.get_by_role("button", name="Undo my last action").click()
        expect(ann.get_by_text("Undone: 3 result(s) back")).to_be_visible()
        _expect_tab(ann, "Accepted", 0)
        _rerun(ben)
        _expect_tab(ben, "Accepted", 0)
        _expect_tab(ben, "Pending Review", pending - 2)
        screenshot(ben, f"replicas-ben-on-{on['ben']}-after-anns-undo", full_page=False)

        # the store and its log: three events (ben's stale rejection moved nothing and recorded none), by whom
        # they were made, replayed exactly to the states
        events, problems = replay_problems(engine, job_id)
        assert problems == []
        assert [(e.reviewer, e.result_count) for e in events] == [("ann", 3), ("ben", 2), ("ann", 3)]
        assert sorted(events[1].result_ids) == sorted(rejected)

        # each action ran on the replica its reviewer's cookie names (the services log every review action)
        logged = _logged_moves(cluster)
        by_reviewer = {name: {r.get("reviewer") for r in records} for name, records in logged.items()}
        assert by_reviewer[on["ann"]] == {"ann"} and by_reviewer[on["ben"]] == {"ben"}, by_reviewer
    finally:
        ann.context.close()
        ben.context.close()
