export function renderOps(main: HTMLElement): () => void {
  main.textContent = 'Operations';
  return () => undefined;
}
