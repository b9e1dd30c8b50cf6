"""Talking to an LLM over HTTP: two wire formats behind one call, with retries and redaction.

``LlmClient.call_tool(parts, tool)`` sends a prompt (text and PNG images, in order) and returns
the JSON object the model produced for ``tool``. Both providers force that tool so the answer
comes back structured instead of as prose:

* ``anthropic``: the Messages API, ``POST {base_url}/v1/messages``, with ``x-api-key``,
  ``anthropic-version`` and ``anthropic-dangerous-direct-browser-access: true`` (the header that
  lets a page call the API directly; without it the browser's CORS preflight is refused), and
  ``tool_choice: {"type": "tool", "name": ...}``.
* ``openai``: any OpenAI-compatible server, ``POST {base_url}/chat/completions`` (the base URL
  includes ``/v1``), an optional Bearer key, and a forced function tool. Local model servers
  often ignore tools and answer in prose, so text content is searched for JSON (``extract_json``,
  the original's rules, spec §7.1).

The API key lives only in the client's private config. It is put in the request headers for the
configured endpoint and nowhere else: never in a URL, a log line, an exception message or a
returned value. Every message built from something the server sent is passed through
``_redact`` first, because a hostile or careless server can echo the key back in an error body.

Retries follow the original's policy (spec §7.1) minus its defect: network errors, timeouts,
408/409/425/429 and 5xx are retried with exponential backoff; any other 4xx fails at once with a
message naming the status, because repeating a rejected request cannot succeed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Awaitable, Sequence

from .. import _host, untrusted

PROVIDERS = ("anthropic", "openai")
DEFAULT_BASE_URLS = {"anthropic": "https://api.anthropic.com", "openai": "http://127.0.0.1:8080/v1"}
DEFAULT_MODELS = {"anthropic": "claude-sonnet-4-5-20250929", "openai": "default"}
ANTHROPIC_VERSION = "2023-06-01"
RETRY_STATUSES = frozenset({408, 409, 425, 429})
# A reply bigger than this is not an answer to our prompts; refusing it bounds memory and time.
MAX_REPLY_CHARS = 2_000_000
# How much of a server's error body an error message may quote.
QUOTE_CHARS = 300


class LlmError(Exception):
    """A provider call failed for good; the message says what happened and what to check.

    ``status`` is the HTTP status when there was one. Messages never contain the API key.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Retryable(Exception):
    """Internal: this attempt failed in a way another attempt may not."""


@dataclass
class ProviderConfig:
    """Where and how to call. ``api_key`` is excluded from repr so it cannot leak via logs."""

    provider: str = "anthropic"
    model: str | None = None
    base_url: str | None = None
    api_key: str = field(default="", repr=False)
    max_tokens: int = 2048
    timeout_s: float = 90.0
    #: Total tries per call (1 = no retry).
    attempts: int = 4
    #: First backoff; doubles per retry (tests set it tiny).
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    #: OpenAI-compatible servers without tool support: ask for JSON in the prompt instead.
    use_tools: bool = True

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"provider: {self.provider!r} is not one of {', '.join(PROVIDERS)}")
        self.base_url = (self.base_url or DEFAULT_BASE_URLS[self.provider]).strip().rstrip("/")
        if not re.match(r"^https?://[^\s/?#@]+(/[^\s?#]*)?$", self.base_url):
            raise ValueError("base_url: expected http(s)://host[:port][/path] without credentials or query")
        self.model = (self.model or DEFAULT_MODELS[self.provider]).strip()
        if not self.model or len(self.model) > 200:
            raise ValueError("model: expected a model name")
        if not isinstance(self.api_key, str) or any(ord(c) < 33 or ord(c) > 126 for c in self.api_key):
            # A key with spaces or control characters cannot go in a header; say so without it.
            raise ValueError("api_key: expected printable ASCII without spaces")
        if self.attempts < 1:
            raise ValueError("attempts: at least 1")

    @property
    def endpoint(self) -> str:
        base = self.base_url or ""
        if self.provider == "anthropic":
            return base + ("/messages" if base.endswith("/v1") else "/v1/messages")
        return base + "/chat/completions"


@dataclass
class ImagePart:
    """A PNG in a prompt. ``data`` is the file's bytes."""

    data: bytes
    media_type: str = "image/png"

    @property
    def b64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")


@dataclass
class Tool:
    """A function the model must call; ``schema`` is a JSON Schema for its arguments."""

    name: str
    description: str
    schema: dict[str, Any]


@dataclass
class HttpReply:
    status: int
    text: str
    retry_after_s: float | None = None


Transport = Callable[[str, dict, str, float], Awaitable[HttpReply]]


# ---------------------------------------------------------------------------------------------
# Transport: the browser's / Node's fetch inside Pyodide; urllib in plain CPython (local tools).


async def fetch_transport(url: str, headers: dict[str, str], body: str, timeout_s: float) -> HttpReply:
    if not _host.has_http():
        return await _urllib_transport(url, headers, body, timeout_s)
    # The host does not follow redirects: a redirect must not carry the key's header to another
    # address (fetch drops Authorization on cross-origin redirects, but not x-api-key). Browsers
    # then report an opaque response with status 0, Node the 3xx itself; both are refused below.
    try:
        answer = await _host.http_post(url, headers, body, timeout_s)
    except _host.HttpTimeout:
        raise _Retryable(f"no answer within {timeout_s:g} s") from None
    except _host.HttpUnreachable as e:
        raise _Retryable(f"network error ({_first_line(e)})") from None
    return HttpReply(answer.status, answer.text, _retry_after(answer.retry_after))


async def _urllib_transport(url: str, headers: dict[str, str], body: str, timeout_s: float) -> HttpReply:
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # the 3xx comes back as an HTTPError and is refused, as with fetch

    def run() -> HttpReply:
        req = urllib.request.Request(url, data=body.encode("utf-8"), headers=headers, method="POST")
        try:
            with urllib.request.build_opener(NoRedirect).open(req, timeout=timeout_s) as r:
                return HttpReply(
                    r.status,
                    r.read(MAX_REPLY_CHARS + 1).decode("utf-8", "replace"),
                    _retry_after(r.headers.get("retry-after")),
                )
        except urllib.error.HTTPError as e:
            return HttpReply(
                e.code,
                e.read(MAX_REPLY_CHARS + 1).decode("utf-8", "replace"),
                _retry_after(e.headers.get("retry-after") if e.headers else None),
            )
        except TimeoutError:
            raise _Retryable(f"no answer within {timeout_s:g} s") from None
        except (urllib.error.URLError, OSError) as e:
            raise _Retryable(f"network error ({_first_line(e)})") from None

    return await asyncio.to_thread(run)


def _retry_after(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if 0 <= x < 3600 else None


def _first_line(e: BaseException) -> str:
    lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else type(e).__name__)[:200]


def _redact_tree(value: Any, secret: str) -> Any:
    if not secret:
        return value
    if isinstance(value, str):
        return _redact(value, secret)
    if isinstance(value, list):
        return [_redact_tree(v, secret) for v in value]
    if isinstance(value, dict):
        return {_redact(str(k), secret): _redact_tree(v, secret) for k, v in value.items()}
    return value


def _redact(text: str, secret: str) -> str:
    """``text`` with every occurrence of the key (and of its Bearer form) replaced."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "[redacted]")
    return text


# ---------------------------------------------------------------------------------------------
# JSON in prose (spec §7.1), for servers that answer in text despite the tool.

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)


def _loads(text: str) -> Any:
    """json.loads for untrusted text: bounded nesting; ValueError when it is not JSON."""
    try:
        return untrusted.loads(text)
    except untrusted.TooDeep:
        raise LlmError(f"the reply's JSON is nested too deeply (more than {untrusted.MAX_JSON_DEPTH} levels)") from None


def extract_json(text: str) -> Any:
    """The JSON value in ``text``: the whole text, else the first fenced block, else the first
    balanced ``{...}``. Unlike the original's scan (§7.1), braces inside strings are skipped."""
    if not isinstance(text, str):
        raise LlmError("the reply's text is not a string")
    try:
        return _loads(text.strip())
    except ValueError:
        pass
    m = _FENCE.search(text)
    if m:
        try:
            return _loads(m.group(1).strip())
        except ValueError:
            pass
    start = text.find("{")
    if start >= 0:
        depth, in_str, esc = 0, False, False
        for i in range(start, len(text)):
            c = text[i]
            if in_str:
                if esc:
                    esc = False
                elif c == "\\":
                    esc = True
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    try:
                        return _loads(text[start : i + 1])
                    except ValueError:
                        break
    raise LlmError("the reply contains no JSON object")


# ---------------------------------------------------------------------------------------------
# Wire formats.


def _json_instruction(tool: Tool) -> str:
    return (
        "\n\nRespond with ONLY a JSON object (no markdown, no other text) matching this JSON "
        f"Schema:\n{json.dumps(tool.schema)}"
    )


def _anthropic_request(cfg: ProviderConfig, parts: Sequence[Any], tool: Tool) -> tuple[dict, dict]:
    content: list[dict[str, Any]] = []
    for p in parts:
        if isinstance(p, ImagePart):
            content.append({"type": "image", "source": {"type": "base64", "media_type": p.media_type, "data": p.b64}})
        else:
            content.append({"type": "text", "text": str(p)})
    headers = {
        "content-type": "application/json",
        "anthropic-version": ANTHROPIC_VERSION,
        "anthropic-dangerous-direct-browser-access": "true",
    }
    if cfg.api_key:
        headers["x-api-key"] = cfg.api_key
    body = {
        "model": cfg.model,
        "max_tokens": cfg.max_tokens,
        "tools": [{"name": tool.name, "description": tool.description, "input_schema": tool.schema}],
        "tool_choice": {"type": "tool", "name": tool.name},
        "messages": [{"role": "user", "content": content}],
    }
    return headers, body


def _anthropic_answer(reply: Any, tool: Tool) -> Any:
    if not isinstance(reply, dict) or not isinstance(reply.get("content"), list):
        raise LlmError("the reply is not an Anthropic message (no content list)")
    texts = []
    for block in reply["content"]:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "tool_use" and block.get("name") == tool.name:
            if not isinstance(block.get("input"), dict):
                raise LlmError(f"the {tool.name} tool call's input is not a JSON object")
            return block["input"]
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
    if texts:
        return extract_json("\n".join(texts))
    hint = " (it stopped at max_tokens)" if reply.get("stop_reason") == "max_tokens" else ""
    raise LlmError(f"the reply has no {tool.name} tool call and no text{hint}")


def _openai_request(cfg: ProviderConfig, parts: Sequence[Any], tool: Tool) -> tuple[dict, dict]:
    texts = [str(p) for p in parts if not isinstance(p, ImagePart)]
    if not cfg.use_tools:
        texts.append(_json_instruction(tool))
    if any(isinstance(p, ImagePart) for p in parts):
        content: Any = []
        for p in parts:
            if isinstance(p, ImagePart):
                content.append({"type": "image_url", "image_url": {"url": f"data:{p.media_type};base64,{p.b64}"}})
            else:
                content.append({"type": "text", "text": str(p)})
        if not cfg.use_tools:
            content.append({"type": "text", "text": texts[-1]})
    else:
        # Text-only prompts go as a plain string: every compatible server accepts that form.
        content = "\n".join(texts)
    headers = {"content-type": "application/json"}
    if cfg.api_key:
        headers["authorization"] = "Bearer " + cfg.api_key
    body: dict[str, Any] = {
        "model": cfg.model,
        "max_tokens": cfg.max_tokens,
        "messages": [{"role": "user", "content": content}],
    }
    if cfg.use_tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {"name": tool.name, "description": tool.description, "parameters": tool.schema},
            }
        ]
        body["tool_choice"] = {"type": "function", "function": {"name": tool.name}}
    return headers, body


def _openai_answer(reply: Any, tool: Tool) -> Any:
    if isinstance(reply, dict) and isinstance(reply.get("error"), (dict, str)):
        err = reply["error"]
        msg = err.get("message") if isinstance(err, dict) else err
        raise LlmError(f"the server reported an error: {str(msg)[:QUOTE_CHARS]}")
    try:
        message = reply["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise LlmError("the reply is not a chat completion (no choices[0].message)") from None
    if not isinstance(message, dict):
        raise LlmError("the reply's message is not an object")
    calls = message.get("tool_calls")
    if isinstance(calls, list) and calls:
        call = calls[0]
        fn = call.get("function") if isinstance(call, dict) else None
        args = fn.get("arguments") if isinstance(fn, dict) else None
        if isinstance(args, dict):  # some servers send the object itself
            return args
        if not isinstance(args, str):
            raise LlmError(f"the {tool.name} tool call has no arguments")
        return extract_json(args)
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "\n".join(
            c.get("text", "") for c in content if isinstance(c, dict) and isinstance(c.get("text"), str)
        )
    if isinstance(content, str) and content.strip():
        return extract_json(content)
    raise LlmError(f"the reply has no {tool.name} tool call and no text")


_WIRE = {"anthropic": (_anthropic_request, _anthropic_answer), "openai": (_openai_request, _openai_answer)}


# ---------------------------------------------------------------------------------------------
# The client.


class LlmClient:
    """One configured provider. ``transport`` and ``sleep`` are replaceable for hosts and tests."""

    def __init__(
        self,
        config: ProviderConfig,
        transport: Transport | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        self._config = config
        self._transport = transport or fetch_transport
        self._sleep = sleep or asyncio.sleep

    def __repr__(self) -> str:
        c = self._config
        return f"<LlmClient {c.provider} {c.model} at {c.base_url}>"

    @property
    def provider(self) -> str:
        return self._config.provider

    @property
    def model(self) -> str:
        return self._config.model or ""

    async def call_tool(self, parts: Sequence[Any], tool: Tool) -> dict[str, Any]:
        """The JSON object the model gave as ``tool``'s arguments. Raises LlmError."""
        cfg = self._config
        build, answer = _WIRE[cfg.provider]
        headers, body = build(cfg, parts, tool)
        reply = await self._post(cfg.endpoint, headers, json.dumps(body))
        try:
            out = answer(reply, tool)
        except LlmError as e:
            raise LlmError(_redact(str(e), cfg.api_key)) from None
        if not isinstance(out, dict):
            raise LlmError(f"the {tool.name} answer is a JSON {type(out).__name__}, not an object")
        # A server that has the key could echo it inside the answer, which ends up in histories
        # and prompts; nothing this client returns may carry it.
        try:
            return _redact_tree(out, cfg.api_key)
        except RecursionError:
            raise LlmError(f"the {tool.name} answer is nested too deeply") from None

    async def _post(self, url: str, headers: dict[str, str], body: str) -> Any:
        cfg = self._config
        last, last_retry_after = "", None
        for attempt in range(cfg.attempts):
            if attempt:
                await self._sleep(self._delay(attempt, last_retry_after))
            last_retry_after = None
            try:
                reply = await self._transport(url, headers, body, cfg.timeout_s)
            except _Retryable as e:
                last = str(e)
                continue
            if 200 <= reply.status < 300:
                if len(reply.text) > MAX_REPLY_CHARS:
                    raise LlmError(f"the reply is larger than {MAX_REPLY_CHARS} characters")
                try:
                    return _loads(reply.text)
                except ValueError:
                    raise LlmError(
                        f"{cfg.provider} answered HTTP {reply.status} with a body that is not JSON: "
                        f"{_quote(reply.text, cfg.api_key)}"
                    ) from None
            if reply.status == 0 or 300 <= reply.status < 400:
                raise LlmError(
                    f"{cfg.provider} at {cfg.base_url} answered with a redirect (HTTP {reply.status}); "
                    "it is not followed so the key goes nowhere else: set the base URL to the "
                    "final address",
                    reply.status,
                )
            detail = f"HTTP {reply.status}: {_quote(_error_message(reply.text), cfg.api_key)}"
            if reply.status in RETRY_STATUSES or reply.status >= 500:
                last, last_retry_after = detail, reply.retry_after_s
                continue
            raise LlmError(f"{cfg.provider} refused the request ({detail}){_hint(reply.status)}", reply.status)
        raise LlmError(
            f"{cfg.provider} at {cfg.base_url} could not be reached after {cfg.attempts} "
            f"attempt{'s' if cfg.attempts != 1 else ''} ({_redact(last, cfg.api_key)})",
            _status_of(last),
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        cfg = self._config
        delay = cfg.backoff_s * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, cfg.max_backoff_s)


def _error_message(text: str) -> str:
    """The human part of an error body ({"error": {"message"}} in both formats), else the text."""
    try:
        data = _loads(text)
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
        if isinstance(err, str):
            return err
    except (ValueError, LlmError):
        pass
    return text


def _quote(text: str, secret: str) -> str:
    text = _redact(str(text), secret)
    text = " ".join(text.split())
    return text[:QUOTE_CHARS] + ("…" if len(text) > QUOTE_CHARS else "")


def _hint(status: int) -> str:
    if status in (401, 403):
        return "; check the API key"
    if status == 404:
        return "; check the base URL and the model name"
    if status == 413:
        return "; the prompt is too large"
    return ""


def _status_of(detail: str) -> int | None:
    m = re.match(r"HTTP (\d{3})", detail)
    return int(m.group(1)) if m else None
