// Hash routes (#/, #/persona/<id>, #/chat/<id>, #/studio, #/ops, #/hub, #/hub/<model ref>), so no screen path can shadow a REST route on the gateway.
export type Route =
  | { screen: 'gallery' }
  | { screen: 'persona'; personaId: string }
  | { screen: 'chat'; conversationId: string }
  | { screen: 'studio'; personaId: string | null }
  | { screen: 'ops' }
  | { screen: 'hub'; ref: string | null };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'chat' && parts[1]) return { screen: 'chat', conversationId: parts[1] };
  if (parts[0] === 'persona' && parts[1]) return { screen: 'persona', personaId: parts[1] };
  if (parts[0] === 'studio') return { screen: 'studio', personaId: parts[1] ?? null };
  if (parts[0] === 'ops') return { screen: 'ops' };
  if (parts[0] === 'hub') return { screen: 'hub', ref: parts[1] ?? null };
  return { screen: 'gallery' };
}

export function hrefOf(route: Route): string {
  switch (route.screen) {
    case 'chat':
      return `#/chat/${encodeURIComponent(route.conversationId)}`;
    case 'persona':
      return `#/persona/${encodeURIComponent(route.personaId)}`;
    case 'studio':
      return route.personaId ? `#/studio/${encodeURIComponent(route.personaId)}` : '#/studio';
    case 'ops':
      return '#/ops';
    case 'hub':
      return route.ref ? `#/hub/${encodeURIComponent(route.ref)}` : '#/hub';
    default:
      return '#/';
  }
}

export function navigate(route: Route): void {
  location.hash = hrefOf(route);
}
