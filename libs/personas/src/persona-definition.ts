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

/**
 * What a definition may hold. Creator text takes what real cards carry (descriptions and lorebook entries of 20-40k
 * characters exist); the prompt assembler's token budget, not the schema, decides what reaches a model.
 */
export const PERSONA_LIMITS = {
  nameChars: 80,
  textChars: 65_536,
  alternateGreetings: 100,
  exampleDialogues: 100,
  tags: 256,
  tagChars: 64,
  lorebookEntries: 1000,
  lorebookKeys: 256,
  lorebookKeyChars: 256,
  metadataChars: 256,
  attachedLorebooks: 16,
  attachedModels: 4,
  /** The whole definition as JSON: a version is read by every turn that uses it. */
  definitionBytes: 4 * 1024 * 1024,
} as const;

const creatorText = () => z.string().max(PERSONA_LIMITS.textChars);
const metadataText = () => z.string().max(PERSONA_LIMITS.metadataChars);
/** Data another application keeps in a file (unknown fields, its own extensions), carried so an export gives it back. */
const carriedData = () => z.record(z.string().max(PERSONA_LIMITS.metadataChars), z.unknown());

export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} _-]{0,63}$/u;
export const AVATAR_HASH_PATTERN = /^[0-9a-f]{64}$/;

export const exampleDialogueSchema = z.strictObject({
  user: creatorText().min(1),
  persona: creatorText().min(1),
});

const lorebookKeys = () => z.array(z.string().min(1).max(PERSONA_LIMITS.lorebookKeyChars)).max(PERSONA_LIMITS.lorebookKeys);

/** A lorebook entry: its content joins the prompt when one of its keys appears in the scanned recent messages. */
const lorebookEntryFieldsSchema = z.strictObject({
  keys: lorebookKeys().min(1),
  /** When present, one of these must match too (a "selective" entry). */
  secondaryKeys: lorebookKeys().default([]),
  content: creatorText().min(1),
  caseSensitive: z.boolean().default(false),
  /** Keys are regular expressions (RE2 syntax: no backreferences or lookaround) instead of plain text. */
  useRegex: z.boolean().default(false),
  /** Lower goes first, and wins when the budget is tight. */
  insertionOrder: z.number().int().min(-10_000).max(10_000).default(100),
  enabled: z.boolean().default(true),
  /** Always included, no key needed. */
  constant: z.boolean().default(false),
  /** A title for editors (SillyTavern's `comment`); never part of a prompt. */
  name: metadataText().optional(),
  /** Fields of the source format Doppel does not use (position, depth, probability, groups…), written back on export. */
  extras: carriedData().optional(),
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

const lorebookFieldsSchema = z.strictObject({
  /** How many of the latest messages (the new one included) are scanned for keys. */
  scanDepth: z.number().int().min(1).max(50).default(4),
  /** Most tokens the triggered entries may take in the prompt. */
  tokenBudget: z.number().int().min(16).max(32_768).default(512),
  entries: z.array(lorebookEntryFieldsSchema).max(PERSONA_LIMITS.lorebookEntries).default([]),
  name: metadataText().optional(),
  description: creatorText().optional(),
  /** Book-level fields of the source format Doppel does not use (recursive scanning, extensions…). */
  extras: carriedData().optional(),
});

// Counted before any key is compiled, so an oversized lorebook costs nothing to refuse.
function checkLorebookRegexKeys(lorebook: { entries: LorebookEntryFields[] }, context: z.RefinementCtx): void {
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
}

export const lorebookSchema = lorebookFieldsSchema.superRefine(checkLorebookRegexKeys);
export type Lorebook = z.infer<typeof lorebookSchema>;

const standaloneLorebookFieldsSchema = lorebookFieldsSchema.extend({ name: z.string().trim().min(1).max(PERSONA_LIMITS.metadataChars) });

/** A lorebook kept on its own (World Info), which a creator attaches to personas. */
export const standaloneLorebookSchema = standaloneLorebookFieldsSchema.superRefine(checkLorebookRegexKeys);
export type StandaloneLorebook = z.infer<typeof standaloneLorebookSchema>;

/** A standalone lorebook as attached to a persona version: the book as it was, with its id. */
export const attachedLorebookSchema = standaloneLorebookFieldsSchema.extend({ id: z.uuid() }).superRefine(checkLorebookRegexKeys);
export type AttachedLorebook = z.infer<typeof attachedLorebookSchema>;

/** Access for holders only: a consumer needs at least `minShares` shares of twin `twinId` on the TwinShares contract. */
export const sharesGateSchema = z.strictObject({
  twinId: z
    .string()
    .toLowerCase()
    .regex(/^0x[0-9a-f]{64}$/, 'a twin id: 32 bytes as 0x-prefixed hex'),
  minShares: z.number().int().min(1).max(1_000_000),
});
export type SharesGate = z.infer<typeof sharesGateSchema>;

export const personaDefinitionSchema = z.strictObject({
  name: z.string().trim().min(1).max(PERSONA_LIMITS.nameChars),
  description: creatorText().default(''),
  personality: creatorText().default(''),
  systemPrompt: creatorText().default(''),
  greeting: creatorText().default(''),
  /** The situation the conversation starts in (optional; absent hashes as before). */
  scenario: creatorText().optional(),
  /** Placed after the chat history, just before the consumer's new message: the last word on how to reply. */
  postHistoryInstructions: creatorText().optional(),
  /** Other openings a consumer may choose when starting a conversation (optional; absent hashes as before). */
  alternateGreetings: z.array(creatorText().min(1)).max(PERSONA_LIMITS.alternateGreetings).optional(),
  exampleDialogues: z.array(exampleDialogueSchema).max(PERSONA_LIMITS.exampleDialogues).default([]),
  tags: z
    .array(z.string().trim().toLowerCase().regex(TAG_PATTERN, 'tags are 1-64 letters, digits, space, _ or -'))
    .max(PERSONA_LIMITS.tags)
    .default([]),
  /** A registered chat model id; the server fills in DEFAULT_CHAT_MODEL when a new persona leaves it out. */
  defaultModel: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a registered model id'),
  generation: generationParamsSchema.default(generationParamsSchema.parse({})),
  /** Proof every turn with this persona carries at least; a client may ask for more, never less. */
  minVerification: verificationLevelSchema.default('none'),
  /**
   * Small models (folders under MODELS_DIR with a zk setup, e.g. doppel-topic-mlp) run on every reply beside the
   * chat model; their results are in turn:done and the receipt, and level zk proves them. Checked when saved.
   */
  attachedModels: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'an attachable model name'))
    .min(1)
    .max(PERSONA_LIMITS.attachedModels)
    .refine((names) => new Set(names).size === names.length, 'a model is attached once')
    .optional(),
  /** Optional; personas without one hash exactly as before it existed. */
  lorebook: lorebookSchema.optional(),
  /** Standalone lorebooks attached to the persona, as they were when this version was made (a version never changes). */
  attachedLorebooks: z.array(attachedLorebookSchema).max(PERSONA_LIMITS.attachedLorebooks).optional(),
  /** sha256 (hex) of the persona's avatar image, served at /avatars/<hash>. */
  avatar: z.string().regex(AVATAR_HASH_PATTERN, 'the sha256 hex of an uploaded avatar').optional(),
  /** Card metadata for readers of the card, never part of a prompt; export writes it back. */
  creator: metadataText().optional(),
  creatorNotes: creatorText().optional(),
  characterVersion: metadataText().optional(),
  nickname: metadataText().optional(),
  /** Fields of the imported file with no place in a persona, by source format (`eliza`, `card`), written back on export. */
  extensions: z.strictObject({ eliza: carriedData().optional(), card: carriedData().optional() }).optional(),
  /** Optional; ungated personas hash exactly as before it existed. Checked on the chain when a conversation opens and on every turn. */
  sharesGate: sharesGateSchema.optional(),
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
    attachedModels: z.array(z.unknown()).nullable(),
    lorebook: z.record(z.string(), z.unknown()),
    avatar: z.string().nullable(),
    creator: z.string(),
    creatorNotes: z.string(),
    characterVersion: z.string(),
    nickname: z.string(),
    extensions: z.record(z.string(), z.unknown()),
    sharesGate: z.record(z.string(), z.unknown()).nullable(),
    visibility: personaVisibilitySchema,
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'an update needs at least one field');
export type UpdatePersonaInput = z.infer<typeof updatePersonaSchema>;
