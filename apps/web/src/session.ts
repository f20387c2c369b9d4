// The signed-in API key lives only in this browser's localStorage; nothing else secret reaches the page.
const KEY_STORAGE = 'doppel.apiKey';

export function apiKey(): string | null {
  return localStorage.getItem(KEY_STORAGE);
}

export function signIn(key: string): void {
  localStorage.setItem(KEY_STORAGE, key.trim());
}

export function signOut(): void {
  localStorage.removeItem(KEY_STORAGE);
}
