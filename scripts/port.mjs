// Which port `npm start` and the Vite servers listen on: `--port N`, else $PORT, else 5173.
import { createServer } from 'node:net';

export const DEFAULT_PORT = 5173;

/** The chosen port, or throws with a one-line message naming the bad value. */
export function chosenPort(argv = process.argv.slice(2), env = process.env) {
  let value;
  let from;
  const at = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  if (at >= 0) {
    value = argv[at].startsWith('--port=') ? argv[at].slice('--port='.length) : argv[at + 1];
    from = '--port';
  } else if (env.PORT !== undefined && env.PORT !== '') {
    value = env.PORT;
    from = 'PORT';
  } else {
    return DEFAULT_PORT;
  }
  const port = /^\d+$/.test(value ?? '') ? Number(value) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new Error(`${from} ${JSON.stringify(value ?? '')} is not a port number (1-65535)`);
  return port;
}

/** Resolves when nothing listens on host:port; rejects with a one-line message otherwise. */
export function ensurePortFree(host, port) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'is already in use'
          : error.code === 'EACCES'
            ? 'needs privileges'
            : `cannot be used (${error.code ?? error.message})`;
      reject(new Error(`port ${port} on ${host} ${why}: stop what holds it or choose another with --port N or PORT=N`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
