"""The review page in a browser: sign in, review from the keyboard, a stale decision, the codebook, the dashboard,
keyboard-only use with visible focus, and text contrast; what the page does is checked through the JSON API."""

from __future__ import annotations

import re
from pathlib import Path

from autocoder.refi import slug

from .conftest import screenshot

MAX_TABS = 60  # more than the page's tab stops: a bounded walk through them


def active(page) -> dict:
    """The focused element: id, tag, classes, data attributes and its text."""
    return page.evaluate("""() => { const e = document.activeElement;
        return {id: e.id, tag: e.tagName, cls: e.className, text: (e.textContent || '').trim(),
                document: e.dataset.document || null, index: e.dataset.index ?? null}; }""")


def tab_until(page, predicate, what: str) -> dict:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = active(page)
        if predicate(focused):
            return focused
    raise AssertionError(f"Tab never reached {what}")


def sign_in(page, token: str) -> None:
    page.goto("/review")
    page.wait_for_selector("#token:focus")  # the token field has the focus: no mouse needed
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.wait_for_selector("#nav:not([hidden])")


def open_report(page, site, report: str) -> None:
    """Choose the reports' project in the header's menu, then the report in the page, from the keyboard."""
    tab_until(page, lambda f: f["id"] == "project", "the project menu")
    page.keyboard.press("ArrowDown")  # the second project: the one with the reports
    page.wait_for_selector(f"[data-document='{site.ids[report]}']")
    tab_until(page, lambda f: f["document"] == str(site.ids[report]), f"the {report} button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".unit.current:focus")


def current_index(page) -> int:
    return int(page.get_attribute(".unit.current", "data-index"))


def settle(page) -> None:
    """Wait until no decision is on its way to the server."""
    page.wait_for_selector("#workspace[aria-busy='false']")


def history(site, unit_id: int) -> list[tuple]:
    return [(d["version"], d["action"], d["code"], d["reviewer"]) for d in site.unit(unit_id)["decisions"]]


def test_a_bad_token_is_refused_and_a_good_one_signs_in(page, site):
    page.goto("/review")
    page.wait_for_selector("#token:focus")
    page.keyboard.type("not-a-token")
    page.keyboard.press("Enter")
    page.wait_for_selector("#signin-error:has-text('not valid')")
    assert page.is_hidden("#nav")
    page.fill("#token", site.tokens["ann"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#who:has-text('ann (reviewer)')")
    assert page.evaluate("sessionStorage.getItem('autocoder-token')") == site.tokens["ann"]
    assert [o for o in page.locator("#project option").all_inner_texts()] == ["Alpha (empty)", "Beacon reports"]
    assert page.is_hidden("#to-dashboard")  # reviewers have no dashboard


def test_review_a_document_from_the_keyboard(page, site):
    units = site.units("report_01")
    # where to start: a unit whose suggestion can be accepted, as can the one three further on
    start = next(i for i in range(len(units) - 4)
                 if units[i]["suggestion"]["category"] and units[i + 3]["suggestion"]["category"]
                 and all(u["status"] == "pending" for u in units[i:i + 5]))
    sign_in(page, site.tokens["ann"])
    open_report(page, site, "report_01")
    assert page.inner_text("#doc-title") == "report_01"
    assert page.locator("#doc-text .unit").count() == len(units)
    for _ in range(start - current_index(page)):
        page.keyboard.press("j")
    assert current_index(page) == start
    shown = page.inner_text("#suggested")
    assert shown.startswith(_name(site, units[start]["suggestion"]["category"]))
    assert page.inner_text("#confidence").startswith(f"{100 * units[start]['suggestion']['confidence']:.1f}%")
    assert page.locator("#alternatives li").count() == 2

    page.keyboard.press("a")  # accept; the page moves on to the next unit
    page.keyboard.press("r")  # reject
    page.keyboard.press("c")  # recode, by type-ahead over the category names
    page.wait_for_selector("#recode-input:focus")
    page.keyboard.type("sendco")
    assert page.locator("#recode-options li").all_inner_texts()[0].startswith("Pivotal role of SENDCo")
    page.keyboard.press("Enter")
    assert current_index(page) == start + 3
    page.keyboard.press("k")  # previous
    assert current_index(page) == start + 2
    page.keyboard.press("ArrowDown")  # next
    page.keyboard.press("a")
    assert current_index(page) == start + 4
    settle(page)
    screenshot(page, "review-before-undo")
    page.keyboard.press("u")  # undo the last decision: the accept on start + 3
    page.wait_for_function(f"() => document.querySelector('.unit.current').dataset.index === '{start + 3}'")
    settle(page)
    page.wait_for_selector("#decision:text-is('pending')")
    reviewed = sum(u["status"] != "pending" for u in units) + 3
    assert page.get_attribute("#progress", "value") == str(reviewed)
    assert page.inner_text("#progress-label").startswith(f"Reviewed {reviewed} of {len(units)} units")
    screenshot(page, "review-page")

    ids = [u["id"] for u in units[start:start + 5]]
    accepted, undone = units[start]["suggestion"]["category"], units[start + 3]["suggestion"]["category"]
    assert history(site, ids[0]) == [(1, "accept", accepted, "ann")]
    assert history(site, ids[1]) == [(1, "reject", "NONE", "ann")]
    assert history(site, ids[2]) == [(1, "recode", "sendco_role", "ann")]
    assert history(site, ids[3]) == [(1, "accept", undone, "ann"), (2, "undo", undone, "ann")]
    assert history(site, ids[4]) == []
    assert [(site.unit(i)["status"], site.unit(i)["code"]) for i in ids] == [
        ("accepted", accepted), ("rejected", "NONE"), ("recoded", "sendco_role"), ("pending", None), ("pending", None)]
    others = [u for u in site.units("report_01") if u["id"] not in ids]
    assert [u["version"] for u in others] == [u["version"] for u in units if u["id"] not in ids]
    # the document shows each unit's state in place
    assert "reviewed" in page.get_attribute(f"#unit-{ids[2]}", "class")
    assert "reviewed" not in page.get_attribute(f"#unit-{ids[3]}", "class")


def _name(site, code: str) -> str:
    with site.api("ann") as ann:
        book = ann.get(f"/projects/{site.ids['project']}/codebook").json()
    return next(c["name"] for c in book["categories"] if c["id"] == code)


def test_a_stale_decision_is_shown_not_lost(page, site):
    sign_in(page, site.tokens["ann"])
    open_report(page, site, "report_02")
    unit = site.units("report_02")[current_index(page)]
    assert unit["status"] == "pending"
    # bob decides the unit behind the page's back
    with site.api("bob") as bob:
        theirs = bob.post(f"/projects/{site.ids['project']}/units/{unit['id']}/decisions",
                          json={"action": "recode", "category": "rights", "expected_version": unit["version"]})
        assert theirs.status_code == 201
    page.keyboard.press("r")
    page.wait_for_selector("#conflict:not([hidden])")
    assert current_index(page) == unit["position"]  # the page went back to the unit in conflict
    assert "bob decided it first: recoded to Honouring the rights" in page.inner_text("#conflict-theirs")
    assert page.inner_text("#conflict-mine") == "Your decision, not saved: reject (no category)."
    assert "conflicted" in page.get_attribute(f"#unit-{unit['id']}", "class")
    assert page.inner_text("#decision").startswith("recoded to Honouring the rights")
    screenshot(page, "stale-decision")
    assert history(site, unit["id"]) == [(1, "recode", "rights", "bob")]  # nothing of ann's was stored
    page.keyboard.press("Enter")  # apply mine, on top of bob's
    page.wait_for_selector("#conflict", state="hidden")
    settle(page)
    assert history(site, unit["id"]) == [(1, "recode", "rights", "bob"), (2, "reject", "NONE", "ann")]
    assert page.inner_text("#decision") == "rejected (no category) by ann"


def test_the_codebook_is_one_keystroke_away(page, site):
    sign_in(page, site.tokens["ann"])
    open_report(page, site, "report_01")
    unit = site.units("report_01")[current_index(page)]
    code = unit["code"] if unit["code"] not in (None, "NONE") else unit["suggestion"]["category"]
    page.keyboard.press("b")
    page.wait_for_selector("#codebook-dialog[open]")
    with site.api("ann") as ann:
        book = ann.get(f"/projects/{site.ids['project']}/codebook").json()
    articles = page.locator("#codebook-body article")
    assert articles.count() == len(book["categories"]) == 27
    for category in book["categories"]:
        article = page.locator(f"#cb-{category['id']}")
        assert article.locator("h4").inner_text() == category["name"]
        assert category["principle"] in article.inner_text()
        assert article.locator("li").count() == len(category["examples"])
    if code:
        assert page.get_attribute(f"#cb-{code}", "class") == "current"
    screenshot(page, "codebook")
    page.keyboard.press("Escape")
    page.wait_for_selector("#codebook-dialog:not([open])", state="attached")
    page.wait_for_selector(".unit.current:focus")


def test_dashboard_figures_match_the_api(page, site):
    project = site.ids["project"]
    # both reviewers decide the last units of report_02, so that there is agreement to show
    for i, unit in enumerate(site.units("report_02")[-6:]):
        for reviewer, body in (("ann", {"action": "reject"} if i % 2 else {"action": "recode", "category": "sendco_role"}),
                               ("bob", {"action": "recode", "category": "sendco_role"})):
            with site.api(reviewer) as client:
                version = site.unit(unit["id"])["version"]
                assert client.post(f"/projects/{project}/units/{unit['id']}/decisions",
                                   json={**body, "expected_version": version}).status_code == 201
    sign_in(page, site.tokens["rita"])
    page.goto(f"/review#/dashboard/{project}")
    page.wait_for_selector("#kappa tbody tr[data-kappa]")
    page.wait_for_selector("#table5 svg")
    with site.api("rita") as rita:
        progress = rita.get(f"/projects/{project}/progress").json()
        model = rita.get(f"/projects/{project}/agreement/model", params={"resamples": 200}).json()
        pair = rita.get(f"/projects/{project}/agreement/reviewers", params={"resamples": 200}).json()
        table5 = rita.get(f"/projects/{project}/frequencies", params={"level": "construct"}).json()
        intervals = rita.get(f"/projects/{project}/frequencies", params={"level": "construct", "intervals": True}).json()
        exported = rita.get(f"/projects/{project}/export", params={"format": "csv"}).content
    assert progress["reviewers"] and progress["reviewed"] > 0
    assert page.inner_text("#reviewed-total") == (
        f"{progress['reviewed']} of {progress['units']} units ({100 * progress['reviewed'] / progress['units']:.1f}%)")
    rows = [row.split("\t") for row in page.locator("#reviewers tbody tr").all_inner_texts()]
    assert rows == [[r["name"], str(r["units"])] for r in progress["reviewers"]]
    for key, report in (("model", model), ("reviewers", pair)):
        for level in ("category", "construct"):
            cells = page.locator(f"[data-kappa='{key}-{level}'] td").all_inner_texts()
            ci = report[level]["kappa_ci95"]
            assert cells == [level, str(report[level]["n"]), f"{report[level]['kappa']:.3f}",
                             f"{ci[0]:.3f} – {ci[1]:.3f}"]
    assert page.locator("[data-kappa='reviewers-category'] th").inner_text() == f"{pair['a']} vs {pair['b']}"
    ranges = {row["construct"]: (row["95% low"], row["95% high"]) for row in intervals["rows"]}
    for row in table5["rows"]:
        bar = page.locator(f"#table5 g[data-construct='{row['construct']}']")
        low, high = ranges[row["construct"]]
        assert bar.locator("text").first.text_content() == row["name"]
        assert bar.locator("text.value").text_content() == (
            f"{100 * row['all prop']:.1f}% ({row['all n']}), 95% {100 * low:.1f}%–{100 * high:.1f}%")
        assert bar.locator("line.interval").count() == 1
    screenshot(page, "dashboard")
    page.locator("[data-export='csv']").focus()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == f"{slug('Beacon reports')}.csv"
    assert Path(download.value.path()).read_bytes() == exported


def test_keyboard_only_use_with_visible_focus_and_labels(page, site):
    sign_in(page, site.tokens["ann"])
    open_report(page, site, "report_01")
    page.evaluate("document.activeElement.blur()")
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const e = document.activeElement, style = getComputedStyle(e);
            const label = (e.labels && e.labels[0] && e.labels[0].textContent) || e.getAttribute('aria-label')
                || e.textContent;
            return {id: e.id, cls: e.className, tag: e.tagName, name: (label || '').trim(),
                    outline: style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0}; }""")
        key = (info["id"], info["cls"], info["name"])
        if seen and key == seen[0]:
            break  # round the page once
        if info["tag"] == "BODY":
            continue  # between the last tab stop and the first, focus passes the browser's own UI
        seen.append(key)
        assert info["outline"] >= 2, f"no visible focus on {info}"
        assert info["name"], f"no label on {info}"
    ids = {id_ for id_, _, _ in seen}
    assert {"project", "document", "open-codebook", "sign-out", "accept", "reject", "recode", "next", "previous"} <= ids
    assert any({"unit", "current"} <= set(cls.split()) for _, cls, _ in seen), "the current unit is not in the tab order"
    # buttons work from the keyboard too
    before = current_index(page)
    page.locator("#next").focus()
    page.keyboard.press("Enter")
    assert current_index(page) == before + 1
    screenshot(page, "keyboard-focus")


# Text and its background, for every element with text of its own; the background is the first opaque one
# among the element and its ancestors (the page uses no translucent backgrounds behind text).
TEXT_COLOURS = """() => {
  const opaque = (c) => c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent';
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !e.getClientRects().length || e.closest('[hidden], .visually-hidden, desc')) continue;
    const style = getComputedStyle(e);
    let bg = null;
    for (let a = e; a && !bg; a = a.parentElement) {
      const c = getComputedStyle(a).backgroundColor;
      if (opaque(c)) bg = c;
    }
    const colour = e instanceof SVGElement ? style.fill : style.color;
    out.push({what: `${e.tagName}#${e.id}.${e.className.baseVal ?? e.className}`, fg: colour,
              bg: bg || 'rgb(255, 255, 255)', size: parseFloat(style.fontSize), weight: parseInt(style.fontWeight)});
  }
  return out;
}"""


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def contrast(fg: str, bg: str) -> float:
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    lighter, darker = sorted((luminance(_rgb(fg)), luminance(_rgb(bg))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def low_contrast(page) -> list[str]:
    failures = []
    for item in page.evaluate(TEXT_COLOURS):
        large = item["size"] >= 24 or (item["size"] >= 18.66 and item["weight"] >= 700)
        ratio = contrast(item["fg"], item["bg"])
        if ratio < (3 if large else 4.5):
            failures.append(f"{item['what']}: {item['fg']} on {item['bg']} = {ratio:.2f}")
    return failures


def test_text_contrast_passes_wcag_aa(page, site):
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0  # the formula, checked
    assert round(contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)"), 2) == 4.54
    sign_in(page, site.tokens["ann"])
    open_report(page, site, "report_01")
    # every construct colour is on the page: the legend's swatches and units in each colour
    classes = " ".join(page.locator("#doc-text .unit").evaluate_all("(units) => units.map((u) => u.className)"))
    assert page.locator("#legend .swatch").count() == 7
    assert len(set(re.findall(r"\bk(?:\d|none)\b", classes))) >= 4
    construct_backgrounds = page.evaluate("""() => ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'knone'].map((k) => {
        const probe = document.createElement('span'); probe.className = 'unit ' + k; probe.textContent = 'x';
        document.getElementById('doc-text').append(probe); const s = getComputedStyle(probe);
        const pair = [s.color, s.backgroundColor, s.borderBottomColor]; probe.remove(); return pair; })""")
    for text, background, accent in construct_backgrounds:
        assert contrast(text, background) >= 4.5, (text, background)
        assert contrast(accent, "rgb(255, 255, 255)") >= 3, accent  # borders and swatches: non-text contrast
    assert low_contrast(page) == []
    page.keyboard.press("c")
    page.wait_for_selector("#recode-input:focus")
    assert low_contrast(page) == []
    page.keyboard.press("Escape")
    page.click("#sign-out")
    sign_in(page, site.tokens["rita"])
    page.goto(f"/review#/dashboard/{site.ids['project']}")
    page.wait_for_selector("#table5 svg")
    assert low_contrast(page) == []


def test_the_dashboard_shows_admins_the_audit_log_and_no_one_else(page, site):
    project = site.ids["project"]
    sign_in(page, site.tokens["admin"])
    page.goto(f"/review#/dashboard/{project}")
    page.wait_for_selector("#audit tbody tr[data-audit]")
    with site.api("admin") as admin:
        log = admin.get("/audit", params={"limit": 50}).json()
    assert {"user.create", "member.add", "project.create"} <= {e["action"] for e in log["items"]}
    rows = [row.split("\t") for row in page.locator("#audit tbody tr").all_inner_texts()]
    assert [row[1:4] for row in rows] == [[e["actor"], e["action"], e["target"]] for e in log["items"]]
    screenshot(page, "dashboard-audit")
    page.click("#sign-out")
    sign_in(page, site.tokens["rita"])
    page.goto(f"/review#/dashboard/{project}")
    page.wait_for_selector("#table5 svg")
    assert page.is_hidden("#audit-panel")
