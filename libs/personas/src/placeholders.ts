// Character cards write the persona's and the user's names as placeholders so one card works for every reader:
// {{char}} / {{user}} (and V1's <BOT> / <USER>). Definitions keep them as written (exports round-trip); they are
// filled in where text meets a conversation: the greeting, and the prompt.

export interface PlaceholderNames {
  char: string;
  user: string;
}

const PLACEHOLDER = /\{\{\s*(char|user)\s*\}\}|<(BOT|USER)>/gi;

export function fillPlaceholders(text: string, names: PlaceholderNames): string {
  return text.replace(PLACEHOLDER, (_match, braced: string | undefined, angled: string | undefined) =>
    (braced ?? angled)!.toLowerCase() === 'user' ? names.user : names.char,
  );
}
