// The creator studio's live preview: the model input a persona definition gives, built by the same
// PromptAssembler the worker uses, so the preview never drifts from what a node sends the model.
import { setImmediate as nextTurnOfEventLoop } from 'node:timers/promises';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { countApproximateTokens, type ChatMessage } from '@doppel/inference';
import { createPersonaSchema, personaDefinitionSchema } from '@doppel/personas';
import { assemblePrompt, type LeftOut } from '@doppel/turns';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

/** The studio's sample message; a fixed bound (not MAX_MESSAGE_CHARS): it only places lorebook entries. */
export const PREVIEW_SAMPLE_MAX_CHARS = 4000;

const previewSchema = z.strictObject({
  persona: createPersonaSchema,
  /** A message to preview with: lorebook entries whose keys it contains are placed as in a real turn. */
  sampleMessage: z.string().max(PREVIEW_SAMPLE_MAX_CHARS).default(''),
  userName: z.string().trim().min(1).max(80).optional(),
});

export interface PromptPreview {
  messages: ChatMessage[];
  approximateTokens: number;
  loreEntries: number[];
  attachedLoreEntries: { lorebookId: string; index: number }[];
  /** Persona text and triggered lorebook entries the prompt budget had no room for. */
  leftOut: LeftOut[];
  tokenBudget: number;
}

@ApiTags('personas')
@ApiBearerAuth()
@Controller('personas')
export class PersonaPreviewController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Post('preview-prompt')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'The model input a persona definition gives for a sample message (no memories, history or knowledge): for live previews while editing. `leftOut` lists the persona text and lorebook entries the prompt budget had no room for.',
  })
  @ApiBody({ schema: openApiSchema(previewSchema) })
  async preview(@Body(new ZodValidationPipe(previewSchema, 'preview')) body: z.infer<typeof previewSchema>): Promise<PromptPreview> {
    // Checking the lorebook's regex keys and matching them each take a few ms for a hostile lorebook: other requests
    // get the event loop in between.
    await nextTurnOfEventLoop();
    const { visibility: _visibility, ...fields } = body.persona;
    const persona = personaDefinitionSchema.parse({ ...fields, defaultModel: fields.defaultModel ?? this.config.models.defaultChatModel });
    const assembled = assemblePrompt({
      persona,
      memories: [],
      history: [],
      userText: body.sampleMessage,
      userName: body.userName,
      tokenBudget: this.config.turns.promptTokenBudget,
      // The gateway loads no tokenizer: the word-and-punctuation count of vocabulary-less backends stands in.
      countTokens: countApproximateTokens,
    });
    return {
      messages: assembled.prompt.messages,
      approximateTokens: assembled.promptTokens,
      loreEntries: assembled.loreEntries,
      attachedLoreEntries: assembled.attachedLoreEntries,
      leftOut: assembled.leftOut,
      tokenBudget: this.config.turns.promptTokenBudget,
    };
  }
}
