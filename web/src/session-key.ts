// Which saved session this tab works on. Two tabs on one session would overwrite each other's
// autosave; each tab holds a Web Lock on its session's key, and a tab that finds the key taken
// forks: it starts from a copy of that session under a key of its own (kept across its reloads in
// sessionStorage), so both tabs keep their work.

const TAB_KEY = 'pelican-session-key';
export const MAIN_SESSION = 'current';

export interface SessionClaim {
  /** The key this tab saves under. */
  key: string;
  /** Set when another tab has `forkedFrom` open: this tab starts from a copy of it. */
  forkedFrom: string | null;
}

/** Holds the lock on `key` for the life of the page, if no other tab holds it. */
function tryHold(key: string): Promise<boolean> {
  return new Promise((answer) => {
    void navigator.locks.request(`pelican-session:${key}`, { ifAvailable: true }, (lock) => {
      answer(lock !== null);
      return lock ? new Promise<void>(() => undefined) : undefined;
    });
  });
}

export async function claimSession(): Promise<SessionClaim> {
  let key = MAIN_SESSION;
  try {
    key = sessionStorage.getItem(TAB_KEY) ?? MAIN_SESSION;
  } catch {
    // storage blocked: the main session
  }
  if (!navigator.locks) return { key, forkedFrom: null };
  // On a reload the previous document's lock may outlive it by a moment: ask again before forking.
  for (let attempt = 0; attempt < 4; attempt++) {
    if (await tryHold(key)) return { key, forkedFrom: null };
    await new Promise((r) => setTimeout(r, 150));
  }
  const own = `tab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  await tryHold(own);
  try {
    sessionStorage.setItem(TAB_KEY, own);
  } catch {
    // this tab keeps its key until it closes
  }
  return { key: own, forkedFrom: key };
}
