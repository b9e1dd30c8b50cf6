// Time per added shape from a run's growth curve: points (shapes so far, seconds since the start)
// in the order they happened; the curve is read between them linearly, since a round adds many
// shapes at once and its time is known only as a whole.

/** Seconds at which the run first had `n` shapes (undefined if it never had them). */
export function timeAt(points, n) {
  if (n <= points[0][0]) return points[0][1];
  for (let i = 1; i < points.length; i++) {
    const [n1, t1] = points[i];
    if (n1 < n) continue;
    const [n0, t0] = points[i - 1];
    return n1 === n0 ? t1 : t0 + ((t1 - t0) * (n - n0)) / (n1 - n0);
  }
  return undefined;
}

/**
 * Seconds per shape over the first `span` shapes and over the last `span` of `total`; their ratio.
 * points[0] is where adding began (0 shapes).
 */
export function pace(points, total, span = 50) {
  const per = (from, to) => {
    const [a, b] = [timeAt(points, from), timeAt(points, to)];
    return a === undefined || b === undefined ? undefined : (b - a) / (to - from);
  };
  const w = Math.min(span, total);
  const first = per(0, w);
  const last = per(total - w, total);
  return { first, last, ratio: first && last !== undefined ? last / first : undefined };
}
