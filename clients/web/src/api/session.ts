// The API key the console sends, kept in this browser's local storage, and whether the server
// has refused it: any call answered UNAUTHENTICATED asks the shell for a login.
const KEY = "zenith.apiKey";

export function apiKey(): string | null {
  return typeof localStorage === "undefined" ? null : localStorage.getItem(KEY);
}

export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

// Why the console needs a key now (the server's message), or null while calls go through.
let refusal: string | null = null;
// While something must stay on screen (a token shown once), the login waits.
let holds = 0;
const listeners = new Set<() => void>();

function changed(): void {
  for (const listener of listeners) listener();
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function sessionRefusal(): string | null {
  return holds > 0 ? null : refusal;
}

export function loginHeld(): boolean {
  return holds > 0;
}

// Called for every UNAUTHENTICATED answer. `sentKey` is the key the refused call carried: an
// answer to a call made with a key since replaced says nothing about the current one.
export function reportUnauthenticated(message: string, sentKey: string | null): void {
  if (sentKey !== apiKey()) return;
  if (refusal === message) return;
  refusal = message;
  changed();
}

export function clearRefusal(): void {
  if (refusal === null) return;
  refusal = null;
  changed();
}

// Keeps the login away until the returned function is called.
export function holdLogin(): () => void {
  holds++;
  changed();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    changed();
  };
}
