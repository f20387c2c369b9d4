// What a creator configures. A persona version is exactly one of these, hashed.
import { z } from 'zod';
import { ErrorCode, ISSUE_ERROR_CODE } from '@doppel/protocol';
import { verificationLevelSchema } from '@doppel/verification';
import { lorebookRegexProblem, MAX_LOREBOOK_REGEX_KEYS } from './lorebook-regex';

export const generationParamsSchema = z.strictObject({
  maxTokens: z.number().int().min(1).max(4096).default(256),
  temperature: z.number().min(0).max(2).default(0.8),
  topP: z.number().gt(0).max(1).default(0.95),
  topK: z.number().int().min(0).max(1000).default(40),
  repetitionPenalty: z.number().min(1).max(2).default(1.1),
  stop: z.array(z.string().min(1).max(64)).max(8).default([]),
});
export type GenerationParams = z.infer<typeof generationParamsSchema>;

export const exampleDialogueSchema = z.strictObject({
  user: z.string().min(1).max(1000),
  persona: z.string().min(1).max(2000),
});

/** A lorebook entry: its content joins the prompt when one of its keys appears in the scanned recent messages. */
const lorebookEntryFieldsSchema = z.strictObject({
  keys: z.array(z.string().min(1).max(100)).min(1).max(32),
  /** When present, one of these must match too (a "selective" entry). */
  secondaryKeys: z.array(z.string().min(1).max(100)).max(32).default([]),
  content: z.string().min(1).max(4000),
  caseSensitive: z.boolean().default(false),
  /** Keys are regular expressions (RE2 syntax: no backreferences or lookaround) instead of plain text. */
  useRegex: z.boolean().default(false),
  /** Lower goes first, and wins when the budget is tight. */
  insertionOrder: z.number().int().min(-10_000).max(10_000).default(100),
  enabled: z.boolean().default(true),
  /** Always included, no key needed. */
  constant: z.boolean().default(false),
});
type LorebookEntryFields = z.infer<typeof lorebookEntryFieldsSchema>;

const regexKeysOf = (entry: LorebookEntryFields) =>
  entry.useRegex ? (['keys', 'secondaryKeys'] as const).flatMap((field) => entry[field].map((key, index) => ({ key, path: [field, index] }))) : [];

function checkRegexKeys(keys: { key: string; path: (string | number)[] }[], context: z.RefinementCtx): void {
  for (const { key, path } of keys) {
    const problem = lorebookRegexProblem(key);
    if (problem) context.addIssue({ code: 'custom', path, message: `regex key ${JSON.stringify(key)} ${problem}`, params: { [ISSUE_ERROR_CODE]: ErrorCode.LorebookKeyInvalid } });
  }
}

/** One entry on its own (an import checks entries one by one); its regex keys must compile under RE2. */
export const lorebookEntrySchema = lorebookEntryFieldsSchema.superRefine((entry, context) => checkRegexKeys(regexKeysOf(entry), context));
export type LorebookEntry = z.infer<typeof lorebookEntrySchema>;

export const lorebookSchema = z
  .strictObject({
    /** How many of the latest messages (the new one included) are scanned for keys. */
    scanDepth: z.number().int().min(1).max(50).default(4),
    /** Most tokens the triggered entries may take in the prompt. */
    tokenBudget: z.number().int().min(16).max(4096).default(512),
    entries: z.array(lorebookEntryFieldsSchema).max(200).default([]),
  })
  // Counted before any key is compiled, so an oversized lorebook costs nothing to refuse.
  .superRefine((lorebook, context) => {
    const regexKeys = lorebook.entries.flatMap((entry, index) => regexKeysOf(entry).map(({ key, path }) => ({ key, path: ['entries', index, ...path] })));
    if (regexKeys.length > MAX_LOREBOOK_REGEX_KEYS) {
      context.addIssue({
        code: 'custom',
        path: regexKeys[MAX_LOREBOOK_REGEX_KEYS]!.path,
        message: `a lorebook has at most ${MAX_LOREBOOK_REGEX_KEYS} regex keys (keys and secondary keys of regex entries); this one has ${regexKeys.length}`,
        params: { [ISSUE_ERROR_CODE]: ErrorCode.LorebookKeyInvalid },
      });
      return;
    }
    checkRegexKeys(regexKeys, context);
  });
export type Lorebook = z.infer<typeof lorebookSchema>;

export const personaDefinitionSchema = z.strictObject({
  name: z.string().trim().min(1).max(80),
  description: z.string().max(2000).default(''),
  personality: z.string().max(2000).default(''),
  systemPrompt: z.string().max(8000).default(''),
  greeting: z.string().max(2000).default(''),
  /** The situation the conversation starts in (optional; absent hashes as before). */
  scenario: z.string().max(2000).optional(),
  /** Placed after the chat history, just before the consumer's new message: the last word on how to reply. */
  postHistoryInstructions: z.string().max(2000).optional(),
  /** Other openings a consumer may choose when starting a conversation (optional; absent hashes as before). */
  alternateGreetings: z.array(z.string().min(1).max(2000)).max(20).optional(),
  exampleDialogues: z.array(exampleDialogueSchema).max(20).default([]),
  tags: z
    .array(z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9 _-]{0,31}$/, 'tags are 1-32 letters, digits, space, _ or -'))
    .max(16)
    .default([]),
  /** A registered chat model id; the server fills in DEFAULT_CHAT_MODEL when a new persona leaves it out. */
  defaultModel: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a registered model id'),
  generation: generationParamsSchema.default(generationParamsSchema.parse({})),
  /** Proof every turn with this persona carries at least; a client may ask for more, never less. */
  minVerification: verificationLevelSchema.default('none'),
  /** Optional; personas without one hash exactly as before it existed. */
  lorebook: lorebookSchema.optional(),
});
export type PersonaDefinition = z.infer<typeof personaDefinitionSchema>;

export const personaVisibilitySchema = z.enum(['public', 'private']);
export type PersonaVisibility = z.infer<typeof personaVisibilitySchema>;

export const createPersonaSchema = personaDefinitionSchema.extend({
  visibility: personaVisibilitySchema.default('public'),
  defaultModel: personaDefinitionSchema.shape.defaultModel.optional(),
});
export type CreatePersonaInput = z.input<typeof createPersonaSchema>;

/** A patch: any subset of fields; the merged result is validated as a whole definition. */
export const updatePersonaSchema = z
  .strictObject({
    name: z.string(),
    description: z.string(),
    personality: z.string(),
    systemPrompt: z.string(),
    greeting: z.string(),
    scenario: z.string(),
    postHistoryInstructions: z.string(),
    alternateGreetings: z.array(z.unknown()),
    exampleDialogues: z.array(z.unknown()),
    tags: z.array(z.unknown()),
    defaultModel: z.string(),
    generation: z.record(z.string(), z.unknown()),
    minVerification: z.string(),
    lorebook: z.record(z.string(), z.unknown()),
    visibility: personaVisibilitySchema,
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'an update needs at least one field');
export type UpdatePersonaInput = z.infer<typeof updatePersonaSchema>;
