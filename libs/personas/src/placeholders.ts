// Character cards write the persona's and the user's names as placeholders so one card works for every reader:
// {{char}} / {{user}} (and V1's <BOT> / <USER>). Definitions keep them as written (exports round-trip); they are
// filled in where text meets a conversation: the greeting, and the prompt.

export interface PlaceholderNames {
  char: string;
  user: string;
}

// ElizaOS writes the agent as {{agentName}} (v2 bios: {{name}}) and the other side as {{user1}} / {{name1}}.
const PLACEHOLDER = /\{\{\s*(char|user|agentname|name|user1|name1)\s*\}\}|<(BOT|USER)>/gi;
const USER_PLACEHOLDERS = new Set(['user', 'user1', 'name1']);

// SillyTavern's {{original}} (in a card's system prompt) stands for the app's own default prompt; Doppel has none.
const ORIGINAL = /\{\{\s*original\s*\}\}/gi;

export function fillPlaceholders(text: string, names: PlaceholderNames): string {
  return text
    .replace(ORIGINAL, '')
    .replace(PLACEHOLDER, (_match, braced: string | undefined, angled: string | undefined) => (USER_PLACEHOLDERS.has((braced ?? angled)!.toLowerCase()) ? names.user : names.char));
}
