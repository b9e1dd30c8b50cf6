"""LLM refinement (spec §7): a judge critiques the render, an architect proposes named edits,
the edits are validated and applied, the scene is re-optimised, and a round that makes the loss
worse is rolled back to the exact scene before it.

    from pelican.llm import LlmClient, ProviderConfig, RefineOptions, refine
    client = LlmClient(ProviderConfig("anthropic", api_key=key))
    result = await refine(scene, target, client, RefineOptions(rounds=3))

Modules, one idea each: ``client`` (HTTP, the two wire formats, retries, key hygiene),
``prompts`` (what the judge and the architect are asked; checking their answers), ``edits``
(validating and applying edits), ``refine`` (the loop with rollback).
"""

from .client import ImagePart, LlmClient, LlmError, ProviderConfig, Tool, extract_json
from .edits import EditOutcome, Limits, apply_edits
from .prompts import JUDGE_TOOL, architect_tool, parse_feedback, parse_plan
from .refine import RefineOptions, RefineResult, judge, refine


def __getattr__(name: str) -> object:
    # ARCHITECT_TOOL lists the engine's shape types, which only the host knows: built when asked.
    if name == "ARCHITECT_TOOL":
        return architect_tool()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ARCHITECT_TOOL",
    "EditOutcome",
    "ImagePart",
    "JUDGE_TOOL",
    "Limits",
    "LlmClient",
    "LlmError",
    "ProviderConfig",
    "RefineOptions",
    "RefineResult",
    "Tool",
    "apply_edits",
    "architect_tool",
    "extract_json",
    "judge",
    "parse_feedback",
    "parse_plan",
    "refine",
]
