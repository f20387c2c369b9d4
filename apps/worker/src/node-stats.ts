import { Injectable } from '@nestjs/common';

/** Counters this node reports in its heartbeat. */
@Injectable()
export class NodeStats {
  activeTurns = 0;
  turnsServed = 0;
  readonly startedAt = new Date();
}
