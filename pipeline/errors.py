"""The one error type a step reports as a one-line reason (caught only in each step's ``main``)."""


class PipelineError(Exception):
    """A failure the user can act on: the message names the place and the way out."""
