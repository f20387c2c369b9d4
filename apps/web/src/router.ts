// Hash routes (#/, #/chat/<id>, #/studio, #/ops), so no screen path can shadow a REST route on the gateway.
export type Route =
  | { screen: 'gallery' }
  | { screen: 'chat'; conversationId: string }
  | { screen: 'studio'; personaId: string | null }
  | { screen: 'ops' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'chat' && parts[1]) return { screen: 'chat', conversationId: parts[1] };
  if (parts[0] === 'studio') return { screen: 'studio', personaId: parts[1] ?? null };
  if (parts[0] === 'ops') return { screen: 'ops' };
  return { screen: 'gallery' };
}

export function hrefOf(route: Route): string {
  switch (route.screen) {
    case 'chat':
      return `#/chat/${encodeURIComponent(route.conversationId)}`;
    case 'studio':
      return route.personaId ? `#/studio/${encodeURIComponent(route.personaId)}` : '#/studio';
    case 'ops':
      return '#/ops';
    default:
      return '#/';
  }
}

export function navigate(route: Route): void {
  location.hash = hrefOf(route);
}
