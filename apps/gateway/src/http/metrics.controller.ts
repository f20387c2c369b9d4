import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireRole } from '../auth/api-key.guard';
import type { AdmissionState } from '../chat/admission-control';
import { TurnAdmission } from '../chat/turn-admission.service';
import { TurnRelayService } from '../chat/turn-relay.service';
import { TurnStatsRepository, type LevelStats } from '../ops/turn-stats.repository';
import { ZodValidationPipe } from './zod-validation.pipe';

/** The JSON of GET /operator/verification: p50 and p95 per level. */
type LevelSummary = Omit<LevelStats, 'addedMs' | 'totalMs'> & {
  addedMs: { p50: number | null; p95: number | null };
  totalMs: { p50: number | null; p95: number | null };
};

const windowQuerySchema = z.strictObject({ minutes: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60) });

/** Read from the turns table, so every gateway reports the same numbers (but the stream gaps, counted per gateway). */
@ApiTags('operators')
@ApiBearerAuth()
@RequireRole('operator')
@Controller()
export class MetricsController {
  constructor(
    private readonly stats: TurnStatsRepository,
    private readonly relay: TurnRelayService,
    private readonly admission: TurnAdmission,
  ) {}

  @Get('operator/verification')
  @ApiOperation({ summary: 'Operators: turns per verification level and what each level costs (p50/p95), over a window.' })
  async verification(@Query(new ZodValidationPipe(windowQuerySchema, 'query')) query: z.infer<typeof windowQuerySchema>): Promise<{ windowMinutes: number; levels: LevelSummary[] }> {
    const levels = await this.stats.byLevel(query.minutes);
    return { windowMinutes: query.minutes, levels: levels.map(({ addedMs, totalMs, ...counts }) => ({ ...counts, addedMs: p50p95(addedMs), totalMs: p50p95(totalMs) })) };
  }

  @Get('operator/admission')
  @ApiOperation({
    summary: "Operators: this gateway's admission control now (turns in flight, the limit, what the recent throughput serves, refusals since start). No database read: cheap enough to poll every second (the load harness's --admission does).",
  })
  admissionState(): AdmissionState {
    return this.admission.control.state;
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Operators: Prometheus text format (last hour).' })
  async metrics(): Promise<string> {
    const levels = await this.stats.byLevel(60);
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
      '# HELP doppel_turn_stream_gaps_total Holes found in turn streams by this gateway since it started (entries lost in a Redis failover), each repaired from the done text.',
      '# TYPE doppel_turn_stream_gaps_total counter',
      `doppel_turn_stream_gaps_total ${this.relay.streamGaps}`,
      '# HELP doppel_turn_reader_stalls_total Blocked stream reads of this gateway that never answered, whose Redis connection was dropped and opened again.',
      '# TYPE doppel_turn_reader_stalls_total counter',
      `doppel_turn_reader_stalls_total ${this.relay.readerStalls}`,
      '# HELP doppel_turn_streams_ended_from_store_total Followed turns of this gateway that finished in PostgreSQL while their stream stayed silent (a terminal entry lost in a Redis failover), ended from the stored outcome.',
      '# TYPE doppel_turn_streams_ended_from_store_total counter',
      `doppel_turn_streams_ended_from_store_total ${this.relay.endedFromStore}`,
      ...admissionGauges(this.admission.control.state),
    ];
    return `${lines.join('\n')}\n`;
  }
}

/** This gateway's admission control now (see admission-control.ts). */
function admissionGauges(state: AdmissionState): string[] {
  return [
    '# HELP doppel_admission_turns_in_flight Turns this gateway admitted that have not finished.',
    '# TYPE doppel_admission_turns_in_flight gauge',
    `doppel_admission_turns_in_flight ${state.inFlight}`,
    '# HELP doppel_admission_limit Turns this gateway lets in flight before it refuses new ones with OVERLOADED.',
    '# TYPE doppel_admission_limit gauge',
    `doppel_admission_limit ${state.limit}`,
    "# HELP doppel_admission_served Turns in flight the recent throughput serves within the target wait (Little's law); while first tokens are on time the limit grows to it, and no further.",
    '# TYPE doppel_admission_served gauge',
    `doppel_admission_served ${state.served ?? 'NaN'}`,
    '# HELP doppel_admission_served_unqueued Turns in flight the recent throughput keeps busy with no wait; a cut on slow first tokens stops there.',
    '# TYPE doppel_admission_served_unqueued gauge',
    `doppel_admission_served_unqueued ${state.servedUnqueued ?? 'NaN'}`,
    '# HELP doppel_admission_loop_saturated 1 while this gateway refuses new turns and connections because its event loop lags.',
    '# TYPE doppel_admission_loop_saturated gauge',
    `doppel_admission_loop_saturated ${state.overloadedLoop ? 1 : 0}`,
    '# HELP doppel_admission_refused_total Turns and connections this gateway refused with OVERLOADED since it started.',
    '# TYPE doppel_admission_refused_total counter',
    `doppel_admission_refused_total{what="turn"} ${state.turnsRefused}`,
    `doppel_admission_refused_total{what="connection"} ${state.connectionsRefused}`,
  ];
}

const p50p95 = ({ p50, p95 }: { p50: number | null; p95: number | null }) => ({ p50, p95 });

function quantiles(name: string, level: string, values: { p50: number | null; p95: number | null }): string[] {
  return [
    `${name}{level="${level}",quantile="0.5"} ${values.p50 ?? 'NaN'}`,
    `${name}{level="${level}",quantile="0.95"} ${values.p95 ?? 'NaN'}`,
  ];
}
