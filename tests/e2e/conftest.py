"""Page tests in a real Chromium; the browser fixtures (browser, phone, desktop) live in
tests/conftest.py so tests elsewhere share the one Playwright instance."""
