// The page's error banner: one line saying what was wrong, the full text (a Python traceback,
// say) behind a closed <details> for whoever wants it.
import { cleanTraceback } from './console';

const MAX_LINE = 500;

/** The one line to show and the details behind it (null when the message is a line already). */
export function splitError(message: string): { line: string; details: string | null } {
  const text = cleanTraceback(message.trim());
  const at = text.indexOf('Traceback (most recent call last):');
  let line: string;
  if (at >= 0) {
    const prefix = text.slice(0, at).trim();
    const rest = text.slice(at).split('\n');
    // The exception is the last unindented line that names it ("SceneError: shapes[3].r …").
    const exc =
      [...rest].reverse().find((l, i) => i < rest.length - 1 && /^[A-Za-z_][\w.]*(: |$)/.test(l)) ??
      rest[rest.length - 1];
    line = `${prefix} ${exc.replace(/^(?:[a-z_]\w*\.)+(?=[A-Z])/, '')}`.trim();
  } else {
    line = text.split('\n')[0];
  }
  if (line.length > MAX_LINE) line = line.slice(0, MAX_LINE - 1) + '…';
  return { line, details: line === text ? null : text };
}

export function renderError(el: HTMLElement, message: string | null): void {
  el.hidden = !message;
  el.replaceChildren();
  if (!message) return;
  const { line, details } = splitError(message);
  const p = document.createElement('span');
  p.className = 'error-line';
  p.textContent = line;
  el.append(p);
  if (details) {
    const d = document.createElement('details');
    const s = document.createElement('summary');
    s.textContent = 'Details';
    const pre = document.createElement('pre');
    pre.textContent = details;
    d.append(s, pre);
    el.append(d);
  }
}
