import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { NodesRepository, type NodeRecord } from '@doppel/nodes';
import { RequireRole } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

const revokeSchema = z.strictObject({ reason: z.string().trim().min(1).max(500) });

@ApiTags('nodes')
@ApiBearerAuth()
@RequireRole('operator')
@Controller('nodes')
export class NodesController {
  constructor(private readonly nodes: NodesRepository) {}

  @Get()
  @ApiOperation({ summary: 'Operators: every node that has registered, with its address, models, strikes and revocation.' })
  list(): Promise<NodeRecord[]> {
    return this.nodes.list();
  }

  @Post(':address/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators: revoke a node; its receipts stop verifying as trusted and it is not picked to re-execute.' })
  @ApiBody({ schema: openApiSchema(revokeSchema) })
  revoke(@Param('address') address: string, @Body(new ZodValidationPipe(revokeSchema, 'revocation')) body: z.infer<typeof revokeSchema>): Promise<NodeRecord> {
    return this.nodes.revoke(address, body.reason);
  }
}
