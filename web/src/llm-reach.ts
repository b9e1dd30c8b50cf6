// Which LLM servers the page may reach, from the CSP's connect-src (vite.config.ts, the one
// definition): a server outside it is refused by the browser before any request leaves, and the
// fetch then fails like an unreachable host. The page asks first and says what blocks it.

export const LLM_DEFAULTS = {
  anthropic: { base: 'https://api.anthropic.com', model: 'claude-sonnet-4-5' },
  openai: { base: 'http://127.0.0.1:8080/v1', model: 'default' },
} as const;

export type LlmProvider = keyof typeof LLM_DEFAULTS;

function allows(source: string, url: URL): boolean {
  if (/^[a-z][a-z0-9+.-]*:$/i.test(source)) return url.protocol === source.toLowerCase();
  const m = /^([a-z]+):\/\/([^:/]+)(?::(\*|\d+))?$/i.exec(source);
  if (!m) return false;
  const [, scheme, host, port] = m;
  if (url.protocol !== `${scheme.toLowerCase()}:` || url.hostname !== host.toLowerCase()) return false;
  return port === '*' || (port ?? '') === url.port;
}

/** Why the page's CSP will not let it reach `base`, or null when it may (or `base` is no URL at all). */
export function cspRefusal(base: string, sources: string = __LLM_CONNECT_SRC__): string | null {
  // A malformed URL is reported by the client (py/pelican/llm/client.py), which checks it in full.
  if (!/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/i.test(base.trim())) return null;
  let url: URL;
  try {
    url = new URL(base.trim());
  } catch {
    return null;
  }
  if (url.origin === location.origin) return null;
  if (
    sources
      .split(/\s+/)
      .filter(Boolean)
      .some((s) => allows(s, url))
  )
    return null;
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  return (
    `${url.origin} is blocked by this page's Content-Security-Policy (connect-src: ${sources}; plain http only to this machine). ` +
    `To allow it: serve it over https, forward it here (\`ssh -N -L 8080:${url.hostname}:${port} host\`, then http://127.0.0.1:8080${url.pathname.replace(/\/$/, '')}), ` +
    `or add its origin to LLM_CONNECT_SRC in vite.config.ts and rebuild.`
  );
}
