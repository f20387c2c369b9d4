import { Controller, Get, Header, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { DATABASE, type Database } from '@doppel/db';
import { RequireRole } from '../auth/api-key.guard';
import { ZodValidationPipe } from './zod-validation.pipe';

interface LevelStats {
  level: string;
  turnsDone: number;
  turnsFailed: number;
  /** Time a node spends on proof after the reply is generated: signing, and waiting for the re-execution. */
  addedMs: { p50: number | null; p95: number | null };
  totalMs: { p50: number | null; p95: number | null };
  reexecMismatches: number;
}

const windowQuerySchema = z.strictObject({ minutes: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60) });

/** Read from the turns table, so every gateway reports the same numbers. */
@ApiTags('operators')
@ApiBearerAuth()
@RequireRole('operator')
@Controller()
export class MetricsController {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  @Get('operator/verification')
  @ApiOperation({ summary: 'Operators: turns per verification level and what each level costs (p50/p95), over a window.' })
  async verification(@Query(new ZodValidationPipe(windowQuerySchema, 'query')) query: z.infer<typeof windowQuerySchema>): Promise<{ windowMinutes: number; levels: LevelStats[] }> {
    return { windowMinutes: query.minutes, levels: await this.levelStats(query.minutes) };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Operators: Prometheus text format (last hour).' })
  async metrics(): Promise<string> {
    const levels = await this.levelStats(60);
    const lines = [
      '# HELP doppel_turns_total Turns finished in the last hour, by verification level and outcome.',
      '# TYPE doppel_turns_total gauge',
      ...levels.flatMap((stats) => [
        `doppel_turns_total{level="${stats.level}",status="done"} ${stats.turnsDone}`,
        `doppel_turns_total{level="${stats.level}",status="failed"} ${stats.turnsFailed}`,
      ]),
      '# HELP doppel_verification_added_ms Time spent on proof after generation, by level (last hour).',
      '# TYPE doppel_verification_added_ms gauge',
      ...levels.flatMap((stats) => quantiles('doppel_verification_added_ms', stats.level, stats.addedMs)),
      '# HELP doppel_turn_total_ms Accepted-to-stored turn latency by level (last hour).',
      '# TYPE doppel_turn_total_ms gauge',
      ...levels.flatMap((stats) => quantiles('doppel_turn_total_ms', stats.level, stats.totalMs)),
      '# HELP doppel_reexec_mismatches_total Re-executions that disagreed with the serving node (last hour).',
      '# TYPE doppel_reexec_mismatches_total gauge',
      ...levels.map((stats) => `doppel_reexec_mismatches_total{level="${stats.level}"} ${stats.reexecMismatches}`),
    ];
    return `${lines.join('\n')}\n`;
  }

  private async levelStats(minutes: number): Promise<LevelStats[]> {
    const { rows } = await sql<{
      level: string;
      done: string;
      failed: string;
      added_p50: number | null;
      added_p95: number | null;
      total_p50: number | null;
      total_p95: number | null;
      mismatches: string;
    }>`
      SELECT t.verification_level AS level,
             count(*) FILTER (WHERE t.status = 'done')::text AS done,
             count(*) FILTER (WHERE t.status = 'failed')::text AS failed,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY t.verification_ms) FILTER (WHERE t.status = 'done') AS added_p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY t.verification_ms) FILTER (WHERE t.status = 'done') AS added_p95,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.finished_at - t.queued_at) * 1000) FILTER (WHERE t.status = 'done') AS total_p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM t.finished_at - t.queued_at) * 1000) FILTER (WHERE t.status = 'done') AS total_p95,
             count(r.id) FILTER (WHERE r.reexec_status = 'mismatch')::text AS mismatches
      FROM turns t LEFT JOIN receipts r ON r.turn_id = t.id
      WHERE t.finished_at > now() - make_interval(mins => ${minutes})
      GROUP BY t.verification_level
      ORDER BY t.verification_level`.execute(this.db);
    return rows.map((row) => ({
      level: row.level,
      turnsDone: Number(row.done),
      turnsFailed: Number(row.failed),
      addedMs: { p50: row.added_p50, p95: row.added_p95 },
      totalMs: { p50: row.total_p50, p95: row.total_p95 },
      reexecMismatches: Number(row.mismatches),
    }));
  }
}

function quantiles(name: string, level: string, values: { p50: number | null; p95: number | null }): string[] {
  return [
    `${name}{level="${level}",quantile="0.5"} ${values.p50 ?? 'NaN'}`,
    `${name}{level="${level}",quantile="0.95"} ${values.p95 ?? 'NaN'}`,
  ];
}
