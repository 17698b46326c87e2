"""Browser checks drive Debian's Chromium through Playwright (no browser download)."""
