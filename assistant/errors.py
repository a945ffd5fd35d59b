"""The one exception type whose message is shown to the user as a single line."""


class AssistantError(Exception):
    """A problem the user can fix (bad input, missing model or device); printed without a traceback.

    The message is one line that says what is wrong and, where possible, what to do about it.
    """

    exit_code = 2
