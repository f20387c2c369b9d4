import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { TeeMeasurementsRepository, type ApprovedMeasurement } from '@doppel/nodes';
import { CurrentAccount, RequireRole } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

// Hex lengths per platform: Nitro PCR0‖PCR1‖PCR2, SEV-SNP MEASUREMENT, TDX MRTD‖RTMR0‖RTMR1‖RTMR2 (48 bytes each).
const MEASUREMENT_HEX_LENGTH = { nitro: 288, 'sev-snp': 96, tdx: 384 } as const;

const approveSchema = z
  .strictObject({
    modelId: z.string().trim().min(1).max(200),
    platform: z.enum(['nitro', 'sev-snp', 'tdx']),
    measurement: z.string().trim().toLowerCase().regex(/^[0-9a-f]+$/, 'lowercase or uppercase hex, no 0x'),
    note: z.string().trim().max(500).optional(),
  })
  .superRefine((body, ctx) => {
    const expected = MEASUREMENT_HEX_LENGTH[body.platform];
    if (body.measurement.length !== expected) {
      ctx.addIssue({ code: 'custom', path: ['measurement'], message: `a ${body.platform} measurement is ${expected} hex digits (see docs/receipts.md); this one has ${body.measurement.length}` });
    }
  });
const listQuerySchema = z.strictObject({ modelId: z.string().trim().min(1).max(200).optional() });

@ApiTags('tee')
@ApiBearerAuth()
@RequireRole('operator')
@Controller('tee/measurements')
export class TeeMeasurementsController {
  constructor(private readonly measurements: TeeMeasurementsRepository) {}

  @Get()
  @ApiOperation({ summary: 'Operators: the enclave measurements approved per model for level tee (revoked ones included, marked).' })
  list(@Query(new ZodValidationPipe(listQuerySchema, 'query')) query: z.infer<typeof listQuerySchema>): Promise<ApprovedMeasurement[]> {
    return this.measurements.list(query.modelId);
  }

  @Post()
  @ApiOperation({ summary: 'Operators: approve a measurement for a model; nodes attested to it may then serve that model at level tee.' })
  @ApiBody({ schema: openApiSchema(approveSchema) })
  approve(@CurrentAccount() account: Account, @Body(new ZodValidationPipe(approveSchema, 'measurement')) body: z.infer<typeof approveSchema>): Promise<ApprovedMeasurement> {
    return this.measurements.approve({ ...body, approvedBy: account.id });
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators: withdraw an approval; nodes attested only to it stop qualifying for level tee at once.' })
  revoke(@Param('id') id: string): Promise<ApprovedMeasurement> {
    return this.measurements.revoke(id);
  }
}
