// The gallery's search: a persona matches when its name, description or one of its tags contains the query.
import type { Persona } from './types';

export function matchesSearch(persona: Pick<Persona, 'definition'>, query: string): boolean {
  const needle = query.trim().toLowerCase().replace(/^#/, '');
  if (!needle) return true;
  const { name, tags, description } = persona.definition;
  return name.toLowerCase().includes(needle) || description.toLowerCase().includes(needle) || tags.some((tag) => tag.includes(needle));
}
