// The one place SQL reads fields inside a stored persona definition (persona_versions.definition, jsonb): the field
// names are checked against PersonaDefinition here, so renaming a field breaks the build instead of a query.
import { sql, type RawBuilder } from 'kysely';
import type { PersonaDefinition } from './persona-definition';

type TextField = { [K in keyof PersonaDefinition]-?: NonNullable<PersonaDefinition[K]> extends string ? K : never }[keyof PersonaDefinition];

/** `<table>.definition->>'<field>'`: a text field of the definition (null when absent). */
export function personaText<T extends string | null = string>(field: TextField, table = 'persona_versions'): RawBuilder<T> {
  return sql<T>`${sql.ref(`${table}.definition`)}->>${sql.lit(field)}`;
}

/** `<table>.definition->'<field>'`: a field of the definition as jsonb (objects, lists). */
export function personaJson<T>(field: keyof PersonaDefinition & string, table = 'persona_versions'): RawBuilder<T> {
  return sql<T>`${sql.ref(`${table}.definition`)}->${sql.lit(field)}`;
}
