"""Both LLM providers against a real local HTTP server speaking their wire formats
(tests/fake-llm.mjs, started by the runner and scripted from here through the JS module
``pelican_test_llm``): request shape, where the key goes, retries, and hostile replies."""

from __future__ import annotations

import base64
import json
import os
import struct
import unittest

from pelican import Image
from pelican.llm import ARCHITECT_TOOL, JUDGE_TOOL, ImagePart, LlmClient, LlmError, ProviderConfig, extract_json
from pelican.llm.prompts import judge_parts

KEY = "sk-test-Secret-4242-abcdef"
JUDGE = {
    "overall_quality": 0.4,
    "resembles_pelican": False,
    "geometric_accuracy": "off",
    "missing_features": ["pouch"],
    "topology_issues": [],
    "suggestions": ["add a pouch"],
    "ready_for_refinement": False,
    "similarity_to_target": 0.5,
}


def fake_url() -> str:
    url = os.environ.get("PELICAN_FAKE_LLM", "")
    if not url:
        raise unittest.SkipTest("no fake LLM server (run through tests/py/run.mjs)")
    return url


def script(*specs, default=None) -> None:
    """Replaces the fake server's script (reply specs used in order) and clears its record."""
    fake_url()  # skips the test when the fake server is not there
    import pelican_test_llm  # type: ignore[import-not-found]  # registered by tests/py/run.mjs

    spec = {"queue": list(specs)} if default is None else {"queue": list(specs), "default": default}
    pelican_test_llm.setScript(json.dumps(spec))


def recorded() -> list[dict]:
    import pelican_test_llm  # type: ignore[import-not-found]

    return json.loads(pelican_test_llm.requestsJson())


def client(provider: str, key: str = KEY, **kw) -> LlmClient:
    url = fake_url()
    base = url + "/v1" if provider == "openai" else url
    kw.setdefault("backoff_s", 0.001)
    kw.setdefault("timeout_s", 10.0)
    return LlmClient(ProviderConfig(provider, model="fake-model-1", base_url=base, api_key=key, **kw))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def judge_prompt_parts() -> list:
    render = Image(8, 8, [0.5] * 64).to_png()
    target = Image(64, 64, [0.25] * 4096).fit(16).to_png()
    return judge_parts(render, target, "<svg/>", "a pelican")


class ExtractJson(unittest.TestCase):
    def test_rules(self):
        self.assertEqual(extract_json('{"a": 1}'), {"a": 1})
        self.assertEqual(extract_json('Sure!\n```json\n{"a": [1, 2]}\n```\nDone.'), {"a": [1, 2]})
        self.assertEqual(extract_json('noise {"a": "}{", "b": {"c": 2}} trailing }'), {"a": "}{", "b": {"c": 2}})
        for bad in ("", "no json here", "{unbalanced", "{'single': 'quotes'}"):
            with self.subTest(text=bad):
                with self.assertRaises(LlmError):
                    extract_json(bad)
        with self.assertRaises(LlmError):
            extract_json("[" * 100_000 + "]" * 100_000)


class ConfigHygiene(unittest.TestCase):
    def test_key_never_in_repr(self):
        cfg = ProviderConfig("anthropic", api_key=KEY)
        self.assertNotIn(KEY, repr(cfg))
        self.assertNotIn(KEY, repr(LlmClient(cfg)))

    def test_bad_config(self):
        for kw in (
            {"provider": "gemini"},
            {"provider": "openai", "base_url": "ftp://x"},
            {"provider": "openai", "base_url": "http://user:pw@host/v1"},
            {"provider": "openai", "api_key": "two words"},
            {"provider": "openai", "attempts": 0},
        ):
            with self.subTest(kw=kw):
                with self.assertRaises(ValueError) as ctx:
                    ProviderConfig(**kw)
                self.assertNotIn("two words", str(ctx.exception))

    def test_endpoints(self):
        self.assertEqual(ProviderConfig("anthropic").endpoint, "https://api.anthropic.com/v1/messages")
        self.assertEqual(ProviderConfig("anthropic", base_url="http://h:1/v1/").endpoint, "http://h:1/v1/messages")
        self.assertEqual(ProviderConfig("openai", base_url="http://h:1/v1").endpoint, "http://h:1/v1/chat/completions")


class Anthropic(unittest.IsolatedAsyncioTestCase):
    async def test_request_shape_and_forced_tool(self):
        script({"answer": JUDGE})
        out = await client("anthropic").call_tool(judge_prompt_parts(), JUDGE_TOOL)
        self.assertEqual(out, JUDGE)
        [req] = recorded()
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], "/v1/messages")
        h = req["headers"]
        self.assertEqual(h["x-api-key"], KEY)
        self.assertEqual(h["anthropic-version"], "2023-06-01")
        self.assertEqual(h["anthropic-dangerous-direct-browser-access"], "true")
        self.assertEqual(h["content-type"], "application/json")
        self.assertNotIn("authorization", h)
        self.assertNotIn(KEY, req["rawBody"])  # the key is a header, never in the body
        body = req["body"]
        self.assertEqual(body["model"], "fake-model-1")
        self.assertEqual(body["max_tokens"], 2048)
        self.assertEqual(body["tool_choice"], {"type": "tool", "name": "judge_render"})
        self.assertEqual(body["tools"][0]["name"], "judge_render")
        self.assertEqual(body["tools"][0]["input_schema"]["required"], JUDGE_TOOL.schema["required"])
        content = body["messages"][0]["content"]
        self.assertEqual([b["type"] for b in content], ["text", "image", "text", "image", "text"])
        self.assertEqual(content[0]["text"], "Rendered PNG output:")
        images = [base64.b64decode(b["source"]["data"]) for b in content if b["type"] == "image"]
        self.assertTrue(all(b["source"]["media_type"] == "image/png" for b in content if b["type"] == "image"))
        self.assertEqual([png_size(i) for i in images], [(8, 8), (16, 16)])
        self.assertIn("```svg\n<svg/>\n```", content[4]["text"])

    async def test_text_reply_falls_back_to_json_in_text(self):
        script({"text": "Here you go:\n```json\n" + json.dumps(JUDGE) + "\n```"})
        self.assertEqual(await client("anthropic").call_tool(["judge"], JUDGE_TOOL), JUDGE)

    async def test_no_key_sends_no_key_header(self):
        script({"answer": JUDGE})
        await client("anthropic", key="").call_tool(["judge"], JUDGE_TOOL)
        self.assertNotIn("x-api-key", recorded()[0]["headers"])


class OpenAI(unittest.IsolatedAsyncioTestCase):
    async def test_request_shape_and_forced_function(self):
        script({"answer": JUDGE})
        out = await client("openai").call_tool(judge_prompt_parts(), JUDGE_TOOL)
        self.assertEqual(out, JUDGE)
        [req] = recorded()
        self.assertEqual(req["path"], "/v1/chat/completions")
        self.assertEqual(req["headers"]["authorization"], "Bearer " + KEY)
        self.assertNotIn("x-api-key", req["headers"])
        self.assertNotIn(KEY, req["rawBody"])
        body = req["body"]
        self.assertEqual(body["model"], "fake-model-1")
        self.assertEqual(body["tool_choice"], {"type": "function", "function": {"name": "judge_render"}})
        self.assertEqual(body["tools"][0]["type"], "function")
        self.assertEqual(body["tools"][0]["function"]["parameters"], JUDGE_TOOL.schema)
        content = body["messages"][0]["content"]
        self.assertEqual([b["type"] for b in content], ["text", "image_url", "text", "image_url", "text"])
        urls = [b["image_url"]["url"] for b in content if b["type"] == "image_url"]
        self.assertTrue(all(u.startswith("data:image/png;base64,") for u in urls))
        self.assertEqual([png_size(base64.b64decode(u.split(",", 1)[1])) for u in urls], [(8, 8), (16, 16)])

    async def test_text_only_prompt_is_a_string_and_key_is_optional(self):
        script({"answer": {"actions": [], "rationale": "none"}})
        out = await client("openai", key="").call_tool(["edit please"], ARCHITECT_TOOL)
        self.assertEqual(out, {"actions": [], "rationale": "none"})
        [req] = recorded()
        self.assertNotIn("authorization", req["headers"])
        self.assertEqual(req["body"]["messages"][0]["content"], "edit please")
        self.assertEqual(req["body"]["tool_choice"]["function"]["name"], "edit_scene")

    async def test_servers_without_tools(self):
        script({"text": "I think: " + json.dumps(JUDGE) + " hope that helps"})
        out = await client("openai", use_tools=False).call_tool(["judge"], JUDGE_TOOL)
        self.assertEqual(out, JUDGE)
        body = recorded()[0]["body"]
        self.assertNotIn("tools", body)
        self.assertNotIn("tool_choice", body)
        self.assertIn("Respond with ONLY a JSON object", body["messages"][0]["content"])

    async def test_arguments_as_object_are_accepted(self):
        script({"tool_input": JUDGE})  # some servers send the arguments object itself
        self.assertEqual(await client("openai").call_tool(["judge"], JUDGE_TOOL), JUDGE)


class Retries(unittest.IsolatedAsyncioTestCase):
    async def test_4xx_fails_at_once_naming_the_status(self):
        for provider in ("anthropic", "openai"):
            for status in (400, 401, 403, 404, 422):
                with self.subTest(provider=provider, status=status):
                    script({"status": status, "body": {"error": {"message": "nope"}}}, default={"answer": JUDGE})
                    with self.assertRaises(LlmError) as ctx:
                        await client(provider).call_tool(["judge"], JUDGE_TOOL)
                    self.assertEqual(len(recorded()), 1, "a 4xx must not be retried")
                    self.assertIn(f"HTTP {status}", str(ctx.exception))
                    self.assertIn("nope", str(ctx.exception))
                    self.assertEqual(ctx.exception.status, status)

    async def test_401_echoing_the_key_does_not_leak_it(self):
        for provider in ("anthropic", "openai"):
            with self.subTest(provider=provider):
                script({"status": 401, "body": '{"error":{"message":"invalid key: $AUTH"}}'})
                with self.assertRaises(LlmError) as ctx:
                    await client(provider).call_tool(["judge"], JUDGE_TOOL)
                text = str(ctx.exception) + repr(ctx.exception) + repr(ctx.exception.args)
                self.assertIn("401", text)
                self.assertIn("check the API key", text)
                self.assertIn("[redacted]", text)
                self.assertNotIn(KEY, text)
                self.assertNotIn(KEY[4:20], text)

    async def test_redirects_are_not_followed(self):
        for provider in ("anthropic", "openai"):
            with self.subTest(provider=provider):
                script(
                    {"status": 307, "headers": {"location": fake_url() + "/elsewhere/v1/messages"}, "body": "{}"},
                    default={"answer": JUDGE},
                )
                with self.assertRaises(LlmError) as ctx:
                    await client(provider).call_tool(["judge"], JUDGE_TOOL)
                self.assertIn("redirect", str(ctx.exception))
                self.assertEqual(len(recorded()), 1, "the key was sent to the redirect target")

    async def test_5xx_and_429_are_retried_then_fail(self):
        for status in (500, 502, 503, 529, 429):
            with self.subTest(status=status):
                script(default={"status": status, "body": f"down $AUTH {status}"})
                with self.assertRaises(LlmError) as ctx:
                    await client("anthropic", attempts=3).call_tool(["judge"], JUDGE_TOOL)
                self.assertEqual(len(recorded()), 3)
                self.assertIn("could not be reached after 3 attempts", str(ctx.exception))
                self.assertIn(f"HTTP {status}", str(ctx.exception))
                self.assertNotIn(KEY, str(ctx.exception))

    async def test_a_transient_error_then_success(self):
        script({"status": 503}, {"hangup": True}, {"status": 429}, {"answer": JUDGE})
        out = await client("openai", attempts=4).call_tool(["judge"], JUDGE_TOOL)
        self.assertEqual(out, JUDGE)
        self.assertEqual(len(recorded()), 4)
        bodies = {r["rawBody"] for r in recorded()}
        self.assertEqual(len(bodies), 1, "a retry resends the same request")

    async def test_timeout_is_retried_then_reported(self):
        script(default={"delay_ms": 1500, "answer": JUDGE})
        with self.assertRaises(LlmError) as ctx:
            await client("anthropic", attempts=2, timeout_s=0.2).call_tool(["judge"], JUDGE_TOOL)
        self.assertIn("no answer within 0.2 s", str(ctx.exception))
        self.assertEqual(len(recorded()), 2)

    async def test_nothing_listening(self):
        cfg = ProviderConfig("openai", base_url="http://127.0.0.1:9/v1", api_key=KEY, attempts=2, backoff_s=0.001)
        with self.assertRaises(LlmError) as ctx:
            await LlmClient(cfg).call_tool(["judge"], JUDGE_TOOL)
        self.assertIn("could not be reached after 2 attempts", str(ctx.exception))
        self.assertIn("network error", str(ctx.exception))
        self.assertNotIn(KEY, str(ctx.exception))

    async def test_backoff_doubles_from_the_configured_base(self):
        delays: list[float] = []

        async def sleep(s: float) -> None:
            delays.append(s)

        script(default={"status": 500})
        c = LlmClient(
            ProviderConfig("openai", base_url=fake_url() + "/v1", attempts=4, backoff_s=0.5, max_backoff_s=1.5),
            sleep=sleep,
        )
        with self.assertRaises(LlmError):
            await c.call_tool(["judge"], JUDGE_TOOL)
        self.assertEqual(delays, [0.5, 1.0, 1.5])


class MalformedReplies(unittest.IsolatedAsyncioTestCase):
    async def expect_error(self, provider: str, spec: dict, *fragments: str) -> str:
        script(spec, default={"answer": JUDGE})
        with self.assertRaises(LlmError) as ctx:
            await client(provider).call_tool(["judge"], JUDGE_TOOL)
        self.assertEqual(len(recorded()), 1, "a malformed 200 reply is not retried")
        for f in fragments:
            self.assertIn(f, str(ctx.exception))
        self.assertLess(len(str(ctx.exception)), 600)
        return str(ctx.exception)

    async def test_both_providers(self):
        for provider in ("anthropic", "openai"):
            with self.subTest(provider=provider):
                await self.expect_error(provider, {"raw": "<html>gateway</html>"}, "not JSON", "<html>")
                await self.expect_error(provider, {"raw": "x" * 3_000_000}, "larger than")
                await self.expect_error(provider, {"raw": "[" * 50_000 + "]" * 50_000}, "nested too deeply")
                await self.expect_error(provider, {"body": {"unexpected": True}})
                await self.expect_error(provider, {"body": []})
                await self.expect_error(provider, {"text": "I cannot help with that."}, "no JSON")
                await self.expect_error(provider, {"answer": [1, 2, 3]})
                await self.expect_error(provider, {"tool_input": "{not json"})

    async def test_anthropic_specific(self):
        await self.expect_error("anthropic", {"tool_input": [1]}, "not a JSON object")
        await self.expect_error(
            "anthropic", {"body": {"type": "message", "content": [], "stop_reason": "max_tokens"}}, "max_tokens"
        )
        await self.expect_error(
            "anthropic",
            {"body": {"content": [{"type": "tool_use", "name": "other_tool", "input": {}}]}},
            "no judge_render tool call",
        )

    async def test_openai_specific(self):
        await self.expect_error("openai", {"body": {"choices": []}}, "choices[0].message")
        await self.expect_error("openai", {"body": {"error": {"message": "model not loaded"}}}, "model not loaded")
        await self.expect_error(
            "openai", {"body": {"choices": [{"message": {"tool_calls": [{"function": {}}]}}]}}, "no arguments"
        )

    async def test_a_key_echoed_in_an_answer_is_redacted(self):
        script({"answer": dict(JUDGE, suggestions=[f"your key is {KEY}"], geometric_accuracy=KEY)})
        out = await client("anthropic").call_tool(["judge"], JUDGE_TOOL)
        self.assertNotIn(KEY, json.dumps(out))
        self.assertEqual(out["suggestions"], ["your key is [redacted]"])


class Parts(unittest.TestCase):
    def test_image_part(self):
        p = ImagePart(b"\x89PNG")
        self.assertEqual(p.b64, "iVBORw==")
        self.assertEqual(p.media_type, "image/png")


if __name__ == "__main__":
    unittest.main()
