"""The web side of school-report: HTTP only; every decision is made in `school_report`."""
