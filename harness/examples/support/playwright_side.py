"""Playwright for Python's side of `vs_playwright`: the same operations on the same page, on
Debian's Chromium, with the flags the harness gives Chrome. Prints one line per sample:
`SAMPLE <operation> <ms>`.

Usage: python playwright_side.py <page url> <samples>
"""

import sys
import time

from playwright.sync_api import expect, sync_playwright

URL, SAMPLES = sys.argv[1], int(sys.argv[2])
ITEMS = ["buy some cheese", "feed the cat", "book a doctors appointment"]


def sample(name, started):
    print(f"SAMPLE {name} {(time.perf_counter() - started) * 1000:.3f}", flush=True)


def whole_test(browser):
    """Playwright's own 'should allow me to add todo items', with its context and page."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(URL)
    new_todo = page.get_by_placeholder("What needs to be done?")
    new_todo.fill(ITEMS[0])
    new_todo.press("Enter")
    expect(page.get_by_test_id("todo-title")).to_have_text([ITEMS[0]])
    new_todo.fill(ITEMS[1])
    new_todo.press("Enter")
    expect(page.get_by_test_id("todo-title")).to_have_text(ITEMS[:2])
    page.wait_for_function("(e) => JSON.parse(localStorage['todos']).length === e", arg=2)
    context.close()


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        whole_test(browser)  # warm-up, not measured
        for _ in range(SAMPLES):
            t = time.perf_counter()
            context = browser.new_context()
            page = context.new_page()
            sample("a fresh context and page", t)
            t = time.perf_counter()
            page.goto(URL)
            sample("goto", t)
            new_todo = page.get_by_placeholder("What needs to be done?")
            for item in ITEMS:
                t = time.perf_counter()
                new_todo.fill(item)
                sample("fill", t)
                t = time.perf_counter()
                new_todo.press("Enter")
                sample("press Enter", t)
            t = time.perf_counter()
            page.get_by_role("link", name="Active").click()
            sample("click", t)
            t = time.perf_counter()
            page.get_by_test_id("todo-count").inner_text()
            sample("read a text", t)
            t = time.perf_counter()
            expect(page.get_by_test_id("todo-count")).to_have_text("3 items left")
            sample("expect a text (holds)", t)
            t = time.perf_counter()
            expect(page.get_by_test_id("todo-title")).to_have_text(ITEMS)
            sample("expect a list of texts (holds)", t)
            t = time.perf_counter()
            page.screenshot()
            sample("screenshot", t)
            t = time.perf_counter()
            context.close()
            sample("close", t)
            t = time.perf_counter()
            whole_test(browser)
            sample("a whole test (Playwright's 'add todo items')", t)
        browser.close()


main()
