"""The refusal shared by the activity services and the evidence files they store."""


class Invalid(Exception):
    """The data breaks a rule: 422 with one error per field."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(errors)
        self.errors = errors
