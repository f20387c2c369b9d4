// OpenAI's chat API over Doppel's turns: POST /v1/chat/completions (streaming or not) and GET /v1/models.
// Plain Express routes: anything that hands the gateway an HTTP request (a relay, a proxy) reaches them the same way.
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Account } from '@doppel/accounts';
import { DoppelError, ErrorCode, HTTP_STATUS_BY_CODE } from '@doppel/protocol';
import type { PersonaView } from '@doppel/personas';
import type { TurnStreamEvent } from '@doppel/streaming';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from './chat-completion-request';
import { chatCompletion, chatCompletionChunk, completionIdentity, doppelExtension, sseData, StreamedText, usageOf, type CompletionIdentity } from './completion-format';
import { toOpenAiError } from './openai-error';
import { OpenAiTurns, type OpenAiTurn } from './openai-turns.service';

/** Most personas a model list returns. */
const MODELS_LIMIT = 1000;
/** An idle stream (a turn waiting in the queue) gets an SSE comment this often, so proxies keep it open. */
const KEEP_ALIVE_MS = 15_000;

type DoneStreamEvent = Extract<TurnStreamEvent, { type: 'done' }>;
type ErrorStreamEvent = Extract<TurnStreamEvent, { type: 'error' }>;

@ApiTags('openai')
@ApiBearerAuth()
@Controller('v1')
export class OpenAiController {
  constructor(private readonly turns: OpenAiTurns) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'OpenAI-compatible chat: model = a persona id (or persona:<id>); stream: true answers in chat.completion.chunk server-sent events ending with [DONE]. ' +
      'Extensions: conversation_id (continue a stored conversation), verification (or X-Doppel-Verification); the reply carries doppel: { turnId, conversationId, verification: { receipt, transcript } }.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: "The turn's clientTurnId: a resend with the same key returns the same turn." })
  @ApiHeader({ name: 'X-Doppel-Verification', required: false, description: 'none | signed | reexec | signed+reexec; a level that cannot be met is an error.' })
  @ApiBody({ schema: openApiSchema(chatCompletionRequestSchema) })
  async chatCompletions(
    @CurrentAccount() account: Account,
    @Body(new ZodValidationPipe(chatCompletionRequestSchema, 'chat completion request')) body: ChatCompletionRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('x-doppel-verification') verification: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const turn = await this.turns.start(account.id, body, { idempotencyKey, verification });
    const identity = completionIdentity(turn.turnId, body.model);
    response.setHeader('x-doppel-turn-id', turn.turnId);
    response.setHeader('x-doppel-conversation-id', turn.conversationId);
    if (body.stream) await this.stream(account.id, turn, identity, body, response);
    else await this.answer(account.id, turn, identity, response);
  }

  @Get('models')
  @ApiOperation({ summary: 'The personas you can chat with (yours and the public ones), as OpenAI models.' })
  async models(@CurrentAccount() account: Account) {
    const personas = await this.turns.models(account.id, MODELS_LIMIT);
    return { object: 'list', data: personas.map((persona) => modelOf(persona, account.id)) };
  }

  @Get('models/:model')
  @ApiOperation({ summary: 'One persona as an OpenAI model (404 when it does not exist or is not visible to you).' })
  async model(@CurrentAccount() account: Account, @Param('model') model: string) {
    return modelOf(await this.turns.model(model, account.id), account.id);
  }

  /** stream: false: waits for the turn and answers with one chat.completion (or the turn's error). */
  private async answer(accountId: string, turn: OpenAiTurn, identity: CompletionIdentity, response: Response): Promise<void> {
    const outcome = await new Promise<DoneStreamEvent | ErrorStreamEvent | null>((resolve) => {
      let stop: (() => void) | null = null;
      let settled = false;
      const settle = (value: DoneStreamEvent | ErrorStreamEvent | null) => {
        if (settled) return;
        settled = true;
        resolve(value);
      };
      // A client that goes away stops only the waiting: the turn completes and is stored, as a closed socket's does.
      response.once('close', () => {
        stop?.();
        settle(null);
      });
      void this.turns
        .follow(turn, accountId, (event) => {
          if (event.type === 'done' || event.type === 'error') settle(event);
        })
        .then((stopFollowing) => {
          stop = stopFollowing;
          if (settled) stopFollowing();
        }, () => settle({ type: 'error', code: ErrorCode.Internal, message: 'The turn could not be followed; read it with GET /turns/:id.' }));
    });
    if (!outcome) return;
    if (outcome.type === 'error') throw new DoppelError(outcome.code, outcome.message, { turnId: turn.turnId, conversationId: turn.conversationId });
    response.status(200).json(chatCompletion(identity, outcome, doppelExtension(turn, outcome)));
  }

  /** stream: true: chat.completion.chunk events as tokens arrive; the last chunk before [DONE] carries `doppel`. */
  private async stream(accountId: string, turn: OpenAiTurn, identity: CompletionIdentity, body: ChatCompletionRequest, response: Response): Promise<void> {
    response.status(200);
    response.setHeader('content-type', 'text/event-stream; charset=utf-8');
    response.setHeader('cache-control', 'no-cache, no-transform');
    response.setHeader('x-accel-buffering', 'no');
    response.flushHeaders();
    const open = () => !response.writableEnded && !response.destroyed;
    const write = (payload: object | '[DONE]') => {
      if (open()) response.write(sseData(payload));
    };
    const text = new StreamedText();
    let stop: (() => void) | null = null;
    let finished = false;
    const keepAlive = setInterval(() => open() && response.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    keepAlive.unref();
    const end = () => {
      finished = true;
      clearInterval(keepAlive);
      if (open()) response.end();
    };
    const fail = (code: ErrorCode, message: string) => {
      write(toOpenAiError(HTTP_STATUS_BY_CODE[code], { code, message, details: { turnId: turn.turnId, conversationId: turn.conversationId } }));
      end();
    };
    const diverged = () =>
      fail(ErrorCode.TurnFailed, `The turn restarted on another node and its reply differs from what was streamed; read the stored reply with GET /turns/${turn.turnId}.`);

    // Closing the stream stops only the relay: the turn completes and is stored, as a closed socket's does.
    response.once('close', () => {
      clearInterval(keepAlive);
      if (!finished) stop?.();
      finished = true;
    });
    write(chatCompletionChunk(identity, { delta: { role: 'assistant', content: '' } }));
    const onEvent = (event: TurnStreamEvent) => {
      if (finished) return;
      switch (event.type) {
        case 'started':
          text.started(event.attempt);
          return;
        case 'token': {
          const delta = text.next(event.text);
          if (text.diverged) return diverged();
          if (delta) write(chatCompletionChunk(identity, { delta: { content: delta } }));
          return;
        }
        case 'done': {
          const rest = text.rest(event.text);
          if (text.diverged) return diverged();
          if (rest) write(chatCompletionChunk(identity, { delta: { content: rest } }));
          const doppel = doppelExtension(turn, event);
          if (body.stream_options?.include_usage) {
            write(chatCompletionChunk(identity, { delta: {}, finishReason: 'stop' }));
            write(chatCompletionChunk(identity, null, { usage: usageOf(event.usage), doppel }));
          } else {
            write(chatCompletionChunk(identity, { delta: {}, finishReason: 'stop' }, { doppel }));
          }
          write('[DONE]');
          return end();
        }
        case 'error':
          return fail(event.code, event.message);
      }
    };
    try {
      stop = await this.turns.follow(turn, accountId, onEvent);
    } catch {
      return fail(ErrorCode.Internal, `The turn could not be followed; read it with GET /turns/${turn.turnId}.`);
    }
    if (finished) stop();
  }
}

function modelOf(persona: PersonaView, accountId: string) {
  return {
    id: persona.id,
    object: 'model' as const,
    created: Math.floor(persona.createdAt.getTime() / 1000),
    owned_by: persona.ownerId === accountId ? 'you' : persona.ownerId,
    name: persona.definition.name,
    doppel: {
      version: persona.version,
      versionId: persona.versionId,
      chatModel: persona.definition.defaultModel,
      minVerification: persona.definition.minVerification ?? 'none',
      visibility: persona.visibility,
    },
  };
}
