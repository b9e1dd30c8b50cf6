"""The engine's error kinds. A module of their own so that ``_host`` (which raises them from a
JavaScript error's name) and ``engine`` (which re-exports them) do not import each other."""


class EngineError(ValueError):
    """The engine rejected a call; the message names the call and the bad input."""


class EngineCrashed(RuntimeError):
    """The worker crashed; it has been replaced and the last good state re-sent."""


class Cancelled(Exception):
    """The run was stopped on request."""


class HostError(RuntimeError):
    """The host lacks something pelican needs (for instance, not running inside Pyodide)."""
