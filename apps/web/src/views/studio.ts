export function renderStudio(main: HTMLElement, _personaId: string | null, _account: unknown): () => void {
  main.textContent = 'Studio';
  return () => undefined;
}
