import { sql } from 'kysely';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import type { AppConfig } from '@doppel/config';
import { createDatabase } from '@doppel/db';
import { AvatarRepository, PersonasRepository, PersonasService, type CreatePersonaInput } from '@doppel/personas';
import { readDemoCredentials, writeDemoCredentials, DEMO_CREDENTIALS_PATH } from './demo-credentials';

/** Uses DEFAULT_CHAT_MODEL (no defaultModel given). */
export const DEMO_PERSONA: CreatePersonaInput = {
  name: 'Ada',
  description: 'A retired lighthouse keeper from the Hebrides who now repairs old clocks and remembers everyone she talks to.',
  personality: 'Warm, dry humour, short sentences. Asks one question back. Never pretends to know what she does not.',
  systemPrompt: 'You are Ada, a retired lighthouse keeper. Speak plainly and kindly, and use what you remember about the user.',
  greeting: 'Evening. Kettle is on. What brings you up the hill?',
  exampleDialogues: [
    { user: 'What was the lighthouse like?', persona: 'Cold stairs, warm lamp. Two hundred and twelve steps. Do you like heights?' },
  ],
  tags: ['demo', 'storyteller'],
  visibility: 'public',
  generation: { maxTokens: 96, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [] },
};

/** Idempotent: reuses the demo account and persona written by an earlier run when they still exist. */
export async function runSeed(config: AppConfig): Promise<void> {
  const db = createDatabase(config.databaseUrl, { maxConnections: 2 });
  try {
    const accounts = new AccountsService(new AccountsRepository(db));
    const personas = new PersonasService(new PersonasRepository(db), config, new AvatarRepository(db));
    const previous = await readDemoCredentials();
    if (previous && (await accounts.authenticate(previous.apiKey))) {
      const persona = await personas.getVisible(previous.personaId, previous.accountId).catch(() => null);
      if (persona) {
        if (persona.definition.defaultModel !== config.models.defaultChatModel) {
          // The deployment's default model changed since the demo was seeded: move the demo persona to it.
          await personas.update(persona.id, previous.accountId, { defaultModel: config.models.defaultChatModel });
          console.log(`seed: demo persona "${persona.definition.name}" now uses ${config.models.defaultChatModel}`);
          return;
        }
        console.log(`seed: demo persona "${persona.definition.name}" (${persona.id}) already present`);
        return;
      }
    }
    const account = previous && (await accounts.authenticate(previous.apiKey)) ? { ...previous, id: previous.accountId } : await accounts.create('Demo creator', ['consumer', 'creator', 'operator']);
    const persona = await personas.create(account.id, DEMO_PERSONA);
    await writeDemoCredentials({ apiKey: account.apiKey, accountId: account.id, personaId: persona.id });
    const { rows } = await sql<{ count: string }>`SELECT count(*)::text AS count FROM personas`.execute(db);
    console.log(`seed: demo persona "${persona.definition.name}" (${persona.id}) created; ${rows[0]?.count} personas in all`);
    console.log(`seed: demo API key saved to ${DEMO_CREDENTIALS_PATH}`);
  } finally {
    await db.destroy();
  }
}
