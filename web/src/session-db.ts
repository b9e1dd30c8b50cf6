// Session persistence in IndexedDB: one record, replaced as a whole, so a reload never sees half of
// an update. The API key is written only when the user ticked "remember".

const DB = 'pelican';
const STORE = 'session';
/** The session this tab saves under (web/src/session-key.ts); 'current' unless forked. */
let KEY = 'current';

export function useSessionKey(key: string): void {
  KEY = key;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let db: Promise<IDBDatabase> | undefined;

// A synchronous hint that a session was ever saved here: without it the page draws the default
// target at once instead of waiting for IndexedDB, whose first opening in a new profile costs
// about 0.3 s on this machine.
const MARKER = 'pelican-session-saved';

export function maySessionExist(): boolean {
  try {
    return localStorage.getItem(MARKER) === '1';
  } catch {
    return true; // storage blocked: ask IndexedDB, which says the same
  }
}

function setMarker(saved: boolean): void {
  try {
    if (saved) localStorage.setItem(MARKER, '1');
    else localStorage.removeItem(MARKER);
  } catch {
    // the marker is only a shortcut
  }
}

export async function saveSession(value: unknown): Promise<void> {
  db ??= open();
  const d = await db;
  await new Promise<void>((resolve, reject) => {
    const tx = d.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(value, KEY);
    tx.oncomplete = () => {
      setMarker(true);
      resolve();
    };
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function loadSession<T>(key = KEY): Promise<T | undefined> {
  db ??= open();
  const d = await db;
  return new Promise((resolve, reject) => {
    const req = d.transaction(STORE, 'readonly').objectStore(STORE).get(key);
    req.onsuccess = () => resolve(req.result as T | undefined);
    req.onerror = () => reject(req.error);
  });
}

export async function clearSession(): Promise<void> {
  db ??= open();
  const d = await db;
  await new Promise<void>((resolve, reject) => {
    const tx = d.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).delete(KEY);
    tx.oncomplete = () => {
      setMarker(false);
      resolve();
    };
    tx.onerror = () => reject(tx.error);
  });
}
