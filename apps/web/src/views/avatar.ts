// Persona pictures: the avatar served by its hash (cached for good by the browser), or the initial on a colour
// derived from the name when there is none. Decorative next to the name, so the alt text is empty.
import { el } from '../dom';
import { ApiError } from '../api';
import { apiKey } from '../session';

export function avatarImage(persona: { name: string; avatar?: string }, variant: 'thumbnail' | 'full', className: string): HTMLElement {
  if (persona.avatar) {
    const src = variant === 'thumbnail' ? `/avatars/${persona.avatar}/thumbnail` : `/avatars/${persona.avatar}`;
    return el('img', { class: className, src, alt: '', loading: 'lazy', decoding: 'async', 'data-avatar': persona.avatar });
  }
  let hue = 0;
  for (const character of persona.name) hue = (hue * 31 + character.charCodeAt(0)) % 360;
  const placeholder = el('div', { class: `${className} placeholder`, 'aria-hidden': 'true' }, (persona.name.trim()[0] ?? '?').toUpperCase());
  placeholder.style.background = `hsl(${hue} 45% 38%)`;
  return placeholder;
}

/** The picture goes as the raw body; the server validates and re-encodes it and answers with its hash. */
export async function uploadAvatar(file: File): Promise<{ hash: string }> {
  const key = apiKey();
  const response = await fetch('/avatars', {
    method: 'POST',
    headers: { 'content-type': file.type || 'application/octet-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: file,
  });
  const body = (await response.json()) as { hash?: string; code?: string; message?: string };
  if (!response.ok || !body.hash) throw new ApiError(response.status, body.code ?? 'HTTP_ERROR', body.message ?? `HTTP ${response.status}`);
  return { hash: body.hash };
}
