"""The one shape of a refusal: what the domain will not do as asked, and why."""


class Refused(ValueError):
    """`reason` is a code the pages turn into the user's words (`web/templates/_reasons.html`);
    the message is for logs and the command line."""

    def __init__(self, message: str, reason: str = "bad_form"):
        super().__init__(message)
        self.reason = reason


class ReasonRefused(Refused):
    """A refusal whose reason code is all it says: `raise SubmissionError("too_long")`."""

    def __init__(self, reason: str):
        super().__init__(reason, reason)
