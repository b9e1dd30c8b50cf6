// A promise settled from outside, and a bounded wait on one: scripts call the page's API as soon
// as it exists, before the parts they need have loaded.

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (r: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  // A rejection nobody waited for is not an uncaught error: whoever waits later still sees it.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** `p`, or a TimeoutError saying `what()` after `ms` milliseconds. */
export function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(what())), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
