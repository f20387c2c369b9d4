// The server's limits (GET /limits), read once per page; fields get them when they arrive. The server checks
// regardless, so a field stays unlimited if the read fails.
import type { ClientLimits } from '@doppel/protocol';
import { request } from './api';

let limits: Promise<ClientLimits | null> | null = null;

export function clientLimits(): Promise<ClientLimits | null> {
  limits ??= request<ClientLimits>('GET', '/limits').catch(() => {
    limits = null;
    return null;
  });
  return limits;
}

/** Sets the field's maxlength to one of the server's limits (a chat message's by default). */
export function applyMessageLimit(field: HTMLTextAreaElement | HTMLInputElement, limit: keyof ClientLimits = 'maxMessageChars'): void {
  void clientLimits().then((current) => {
    if (current) field.maxLength = current[limit];
  });
}
