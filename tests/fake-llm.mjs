// A local stand-in for an LLM provider: a real HTTP server on 127.0.0.1 that speaks the
// Anthropic Messages API (POST …/messages) and the OpenAI chat-completions API
// (POST …/chat/completions), answers from a script the test gives it, and records every request
// (method, path, headers, parsed body, raw body) so the test can check the wire format and where
// the API key went. Plain JavaScript so that Node tests, the Pyodide test runner and Playwright
// (through the typed re-export e2e/fake-llm.ts) all share one implementation.
//
// Exports
//   startFakeLlm(script?) -> Promise<FakeLlm>
//     FakeLlm = {
//       url,                 // "http://127.0.0.1:<port>" (no trailing slash)
//       requests,            // RecordedRequest[] = {method, path, headers, body, rawBody}
//       script(s),           // replace the script: a function or a declarative spec (below)
//       reset(),             // forget recorded requests (the script stays)
//       close(),             // Promise<void>; stops listening and drops open connections
//       setScript(json), requestsJson()   // string-only twins of script()/requests for Python
//     }
//   The Pyodide test runner registers the FakeLlm object itself as the JS module
//   `pelican_test_llm` and sets os.environ["PELICAN_FAKE_LLM"] = url.
//   promptText(body) -> string   the text of every prompt block, images left out
//   fromSpec(spec)   -> Script   turns a declarative spec into a script function
//
// A script is (req, index) => reply. A reply is either any JSON value (what the model "says":
// it comes back as the forced tool's input when the request asked for a tool, otherwise as
// text content), or a directive made by fromSpec/reply() (raw HTTP status, plain text, hang-up,
// delay). The declarative spec — what Python tests send as JSON through setScript —
// is a list of reply specs used in order, or {queue: [...], default: spec}; when the queue is
// empty `default` answers (or, without one, HTTP 500 "script exhausted"). One reply spec:
//   {answer: <json>}                the model's structured answer (tool call if tools were sent)
//   {text: "<string>"}              plain text content, no tool call (JSON-in-text fallbacks)
//   {tool_input: <any>}             the tool call's input/arguments verbatim (hostile shapes;
//                                   OpenAI: a string is sent as the arguments string as-is)
//   {status: 401, body?: <str|json>, headers?: {...}}  a raw HTTP reply; in `body` strings the
//                                   token $AUTH is replaced by the credential the request carried
//                                   (x-api-key or authorization), to play a server that echoes it
//   {raw: "<string>", status?: 200} a raw body (e.g. not JSON) with the given status
//   {hangup: true}                  destroy the connection without answering (network error)
//   {delay_ms: n, ...}              wait n ms first (combine with any of the above; for timeouts)

import { createServer } from 'node:http';

/** Answers CORS preflights so the browser (Playwright) can call the server cross-origin. */
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Max-Age': '600',
  // The app is cross-origin isolated; a CORS response is enough, CORP makes it explicit.
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

const DIRECTIVE = Symbol('fake-llm directive');

/** Wraps a reply spec so a script function can return it (a plain value is the model's answer). */
export function reply(spec) {
  return { [DIRECTIVE]: true, spec };
}

/** The text of every message block, joined: enough to tell the judge from the architect. */
export function promptText(body) {
  const parts = [];
  const walk = (v) => {
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (v.type === 'image' || v.type === 'image_url') return;
      for (const [k, x] of Object.entries(v)) if (k !== 'data' && k !== 'url') walk(x);
    }
  };
  walk(body?.system);
  walk(body?.messages);
  return parts.join('\n');
}

/** A script from a declarative spec (a list used in order, or {queue, default}). */
export function fromSpec(spec) {
  const queue = Array.isArray(spec) ? [...spec] : [...(spec?.queue ?? [])];
  const fallback = Array.isArray(spec) ? undefined : spec?.default;
  return () => {
    const next = queue.length ? queue.shift() : fallback;
    if (next === undefined) return reply({ status: 500, body: { error: { message: 'fake-llm: script exhausted' } } });
    return reply(next);
  };
}

function credential(headers) {
  return String(headers['x-api-key'] ?? headers.authorization ?? '');
}

/** The forced (or first) tool's name in the request, per wire format; undefined without tools. */
function toolName(isAnthropic, body) {
  if (isAnthropic) return body?.tool_choice?.name ?? body?.tools?.[0]?.name;
  return body?.tool_choice?.function?.name ?? body?.tools?.[0]?.function?.name;
}

/** A successful completion in the provider's wire format. */
function completion(isAnthropic, body, n, { answer, text, toolInput, hasToolInput }) {
  const tool = toolName(isAnthropic, body);
  const asTool = hasToolInput || (text === undefined && tool !== undefined);
  if (isAnthropic) {
    const content = asTool
      ? [{ type: 'tool_use', id: `toolu_${n}`, name: tool ?? 'tool', input: hasToolInput ? toolInput : answer }]
      : [{ type: 'text', text: text ?? JSON.stringify(answer) }];
    return {
      id: `msg_${n}`,
      type: 'message',
      role: 'assistant',
      model: body?.model,
      stop_reason: asTool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      content,
      usage: { input_tokens: 10, output_tokens: 10 },
    };
  }
  let message;
  if (asTool) {
    const args = hasToolInput
      ? typeof toolInput === 'string'
        ? toolInput
        : JSON.stringify(toolInput)
      : JSON.stringify(answer);
    message = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: `call_${n}`, type: 'function', function: { name: tool ?? 'tool', arguments: args } }],
    };
  } else {
    message = { role: 'assistant', content: text ?? JSON.stringify(answer) };
  }
  return {
    id: `chatcmpl-${n}`,
    object: 'chat.completion',
    created: 0,
    model: body?.model,
    choices: [{ index: 0, finish_reason: asTool ? 'tool_calls' : 'stop', message }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

export async function startFakeLlm(script = () => ({})) {
  const requests = [];
  let current = typeof script === 'function' ? script : fromSpec(script);
  const sockets = new Set();

  const server = createServer(async (req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body = null;
    try {
      body = JSON.parse(rawBody || 'null');
    } catch {
      res.writeHead(400, { ...CORS, 'Content-Type': 'application/json' }).end('{"error":{"message":"bad json"}}');
      return;
    }
    const rec = { method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, body, rawBody };
    requests.push(rec);
    const path = (req.url ?? '').split('?')[0];
    const isAnthropic = path.endsWith('/messages');
    if (!isAnthropic && !path.endsWith('/chat/completions')) {
      res
        .writeHead(404, { ...CORS, 'Content-Type': 'application/json' })
        .end('{"error":{"message":"no such endpoint"}}');
      return;
    }

    let out;
    try {
      out = await current(rec, requests.length - 1);
    } catch (e) {
      out = reply({ status: 500, body: { error: { message: `fake-llm script threw: ${e}` } } });
    }
    const spec = out && typeof out === 'object' && out[DIRECTIVE] ? out.spec : { answer: out };

    if (spec.delay_ms) await new Promise((r) => setTimeout(r, spec.delay_ms));
    if (spec.hangup) {
      req.socket.destroy();
      return;
    }
    if (res.destroyed || req.socket.destroyed) return; // the client gave up while we waited
    if (spec.raw !== undefined) {
      res
        .writeHead(spec.status ?? 200, { ...CORS, 'Content-Type': 'application/json', ...(spec.headers ?? {}) })
        .end(String(spec.raw));
      return;
    }
    if (spec.status !== undefined && spec.status !== 200) {
      let errBody = spec.body ?? {
        type: 'error',
        error: { type: 'fake_error', message: `fake status ${spec.status}` },
      };
      errBody = typeof errBody === 'string' ? errBody : JSON.stringify(errBody);
      errBody = errBody.split('$AUTH').join(credential(req.headers));
      res.writeHead(spec.status, { ...CORS, 'Content-Type': 'application/json', ...(spec.headers ?? {}) }).end(errBody);
      return;
    }
    const n = requests.length;
    const payload =
      spec.body !== undefined
        ? spec.body
        : completion(isAnthropic, body, n, {
            answer: spec.answer,
            text: spec.text,
            toolInput: spec.tool_input,
            hasToolInput: Object.prototype.hasOwnProperty.call(spec, 'tool_input'),
          });
    res
      .writeHead(200, { ...CORS, 'Content-Type': 'application/json', ...(spec.headers ?? {}) })
      .end(typeof payload === 'string' ? payload : JSON.stringify(payload));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();

  const llm = {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(s) {
      current = typeof s === 'function' ? s : fromSpec(s);
    },
    reset() {
      requests.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
    /**
     * For the Pyodide tests (the runner registers this object as the JS module
     * `pelican_test_llm`). Only strings cross the boundary, so nothing depends on proxy rules:
     *   url                     the base URL (also os.environ["PELICAN_FAKE_LLM"])
     *   setScript(specJson)     replace the script by a declarative spec (JSON text) and forget
     *                           the recorded requests
     *   requestsJson() -> str   JSON list of the requests recorded since then
     *   reset()                 forget the recorded requests
     */
    setScript(specJson) {
      llm.script(JSON.parse(String(specJson)));
      llm.reset();
    },
    requestsJson() {
      return JSON.stringify(requests);
    },
    /** The same object; kept so a runner may register either `llm` or `llm.pythonApi()`. */
    pythonApi() {
      return llm;
    },
  };
  return llm;
}
