"""The domain of school-report: reports, routing, return codes, cases and statistics.

Nothing here knows about HTTP; the web app and the admin command line both call these functions.
"""
