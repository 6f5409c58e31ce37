// The API key the console sends, kept in this browser's local storage.
const KEY = "zenith.apiKey";

export function apiKey(): string | null {
  return typeof localStorage === "undefined" ? null : localStorage.getItem(KEY);
}

export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}
