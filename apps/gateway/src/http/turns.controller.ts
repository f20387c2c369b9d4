import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Account } from '@doppel/accounts';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { TurnLookup } from '@doppel/turns';
import { CurrentAccount } from '../auth/api-key.guard';

@ApiTags('turns')
@ApiBearerAuth()
@Controller('turns')
export class TurnsController {
  constructor(private readonly turns: TurnLookup) {}

  @Get(':id')
  @ApiOperation({ summary: 'A turn of yours: its status, and once finished the same payload as turn:done or turn:error.' })
  async get(@CurrentAccount() account: Account, @Param('id') id: string) {
    const turn = await this.turns.findOwned(id, account.id);
    if (!turn) throw new DoppelError(ErrorCode.TurnNotFound, `Turn ${id} does not exist or is not yours.`);
    if (turn.status === 'queued' || turn.status === 'running') return { turnId: turn.id, status: turn.status };
    const final = await this.turns.finalEvent(turn.id);
    return { turnId: turn.id, status: turn.status, [final.type]: final.event };
  }
}
