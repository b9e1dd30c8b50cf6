// Typed face of tests/fake-llm.mjs, the one fake LLM provider shared by the Playwright tests and
// the Python tests (see that file for the wire formats and the script language).
import type { IncomingHttpHeaders } from 'node:http';
// @ts-ignore -- a plain JavaScript module; its types are declared below.
import * as impl from '../tests/fake-llm.mjs';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  rawBody: string;
}

/** Returns the JSON object the model "says" for one request (a judge reply or an edit list). */
export type Script = (req: RecordedRequest, index: number) => unknown;

/** A declarative script: reply specs used in order (see tests/fake-llm.mjs). */
export type Spec = Record<string, unknown>[] | { queue?: Record<string, unknown>[]; default?: Record<string, unknown> };

export interface FakeLlm {
  url: string;
  requests: RecordedRequest[];
  script(s: Script | Spec): void;
  reset(): void;
  close(): Promise<void>;
  /** String-only twins for the Pyodide tests: a JSON spec in, the recorded requests as JSON out. */
  setScript(specJson: string): void;
  requestsJson(): string;
}

export const startFakeLlm: (script?: Script | Spec) => Promise<FakeLlm> = impl.startFakeLlm;
export const promptText: (body: any) => string = impl.promptText;
/** Wraps a reply spec ({status}, {text}, {hangup}, …) so a script function can return it. */
export const reply: (spec: Record<string, unknown>) => unknown = impl.reply;
