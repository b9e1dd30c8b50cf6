// What the page tells the user: the status line, the error banner, the notice with its action,
// and the run log. Each is a change to the store; the views draw it.
import type { NoticeAction } from './notice';
import type { LogLine, PageStore } from './page-state';

/** Lines kept in the run log (the view shows the last 200). */
const LOG_LINES = 500;

export function setStatus(store: PageStore, text: string, ready = false): void {
  store.update((s) => void (s.status = { text, ready }), 'status');
}

export function showError(store: PageStore, message: string | null): void {
  store.update((s) => void (s.error = message), 'error');
}

export function notice(store: PageStore, text: string | null, action?: NoticeAction): void {
  store.update((s) => void (s.notice = text ? { text, action } : null), 'notice');
}

export function logLine(store: PageStore, kind: LogLine['kind'], text: string): void {
  store.update(
    (s) => {
      s.log.push({ kind, text });
      if (s.log.length > LOG_LINES) s.log.splice(0, s.log.length - LOG_LINES);
    },
    'log',
    'save',
  );
}
