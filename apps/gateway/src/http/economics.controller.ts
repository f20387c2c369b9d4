import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { EarningsRepository } from '@doppel/earnings';
import type { EconomicsView } from '@doppel/protocol';
import { RequireRole } from '../auth/api-key.guard';
import { ZodValidationPipe } from './zod-validation.pipe';

const daysQuerySchema = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) });

@ApiTags('operators')
@ApiBearerAuth()
@RequireRole('operator')
@Controller()
export class EconomicsController {
  constructor(
    private readonly earnings: EarningsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('operator/economics')
  @ApiOperation({ summary: 'Operators: earnings (wei), turns, tokens and utilisation per node and UTC day, from the earnings ledger; and the price list.' })
  async economics(@Query(new ZodValidationPipe(daysQuerySchema, 'query')) query: z.infer<typeof daysQuerySchema>): Promise<EconomicsView> {
    const { earnings } = this.config;
    return {
      days: query.days,
      perNodePerDay: await this.earnings.perNodePerDay(query.days),
      priceList: {
        per1kInputTokensWei: earnings.per1kInputTokensWei.toString(),
        per1kOutputTokensWei: earnings.per1kOutputTokensWei.toString(),
        levelPercent: { ...earnings.levelPercent },
        reexecPercent: earnings.reexecPercent,
      },
    };
  }
}
