"""The web side of school-report: HTTP only; every decision is made in `school_report`."""

from web import routing  # noqa: F401  (registers the `id` path convertor before any route)
