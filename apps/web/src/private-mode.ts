// Private mode: chat turns sealed with Oblivious HTTP and sent through a relay, so the gateway does not see this
// browser's address on them and the relay sees no content. Loaded on demand (the crypto stays out of the first load).
// Relays and the pinned key hashes are set by the user (given by the operator out of band), kept in localStorage.
import { OhttpClient, OhttpErrorCode, privateChat, type PrivateChatEvent } from '@doppel/ohttp';

const SETTINGS = 'doppel.privateMode';

export interface PrivateModeSettings {
  relays: string[];
  pins: string[];
}

export function loadSettings(): PrivateModeSettings {
  try {
    const stored = JSON.parse(localStorage.getItem(SETTINGS) ?? '{}') as Partial<PrivateModeSettings>;
    return { relays: stored.relays ?? [], pins: stored.pins ?? [] };
  } catch {
    return { relays: [], pins: [] };
  }
}

export function saveSettings(settings: PrivateModeSettings): void {
  localStorage.setItem(SETTINGS, JSON.stringify(settings));
}

/** Splits what the user typed (commas, spaces or lines) into a list. */
export function listOf(text: string): string[] {
  return text.split(/[\s,]+/).map((item) => item.trim()).filter(Boolean);
}

let cached: { key: string; client: OhttpClient } | null = null;

function client(settings: PrivateModeSettings): OhttpClient {
  const key = JSON.stringify(settings);
  if (cached?.key !== key) {
    cached = {
      key,
      client: new OhttpClient({
        relays: settings.relays,
        pinnedKeyConfigHashes: settings.pins,
        // Through a relay, which fetches them from the gateway; the pinned hashes decide whether they are used.
        keyConfigs: async () => new Uint8Array(await (await fetch(new URL('ohttp-keys', settings.relays[0]))).arrayBuffer()),
      }),
    };
  }
  return cached.client;
}

/** One turn through the relay: the reply's tokens as they come, then the done event with Doppel's extension. */
export function sendPrivately(
  settings: PrivateModeSettings,
  turn: { apiKey: string; personaId: string; conversationId: string; text: string; verification: string },
): AsyncGenerator<PrivateChatEvent> {
  return privateChat(client(settings), {
    apiKey: turn.apiKey,
    personaId: turn.personaId,
    conversationId: turn.conversationId,
    messages: [{ role: 'user', content: turn.text }],
    ...(turn.verification !== 'none' ? { verification: turn.verification } : {}),
  });
}

/** What the chat shows when a private turn fails: the client library's code, and words a user can act on. */
export function describeFailure(error: { code?: string; message: string }): { code: string; message: string } {
  const code = error.code ?? 'PRIVATE_MODE';
  if (code === OhttpErrorCode.KeyConfigNotPinned) {
    return { code, message: `Private mode refused the gateway's key: its hash is not one of your pinned key hashes, so nothing was sent. Check the pinned hash with the gateway's operator (${error.message}).` };
  }
  return { code, message: error.message };
}

