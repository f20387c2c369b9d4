import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { ClientLimits } from '@doppel/protocol';
import { PublicRoute } from '../auth/api-key.guard';
import { PREVIEW_SAMPLE_MAX_CHARS } from './persona-preview.controller';

@ApiTags('health')
@PublicRoute()
@Controller('limits')
export class LimitsController {
  private readonly limits: ClientLimits;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limits = Object.freeze({ maxMessageChars: config.gateway.maxMessageChars, maxSampleMessageChars: PREVIEW_SAMPLE_MAX_CHARS });
  }

  @Get()
  @ApiOperation({ summary: 'What this server accepts, for clients to apply before sending: maxMessageChars (MAX_MESSAGE_CHARS), maxSampleMessageChars (the studio preview).' })
  get(): ClientLimits {
    return this.limits;
  }
}
