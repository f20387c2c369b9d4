// The node_earnings ledger (append-only) and the payout tables: metering, totals, reconciliation, epochs.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import type { NodeDayEarnings } from '@doppel/protocol';
import type { PriceList } from './price-list';

export type { NodeDayEarnings };

export interface ReconciliationReport {
  doneTurns: number;
  meteredTurns: number;
  /** Done turns with a node that the ledger has not metered (yet). */
  unmetered: string[];
  /** Ledger rows whose tokens, model, node or level differ from their turn. */
  mismatched: string[];
  /** Turns metered more than once (the unique index makes this impossible; the query checks anyway). */
  duplicated: string[];
}

/**
 * A ledger row's price columns for a row of `turns t`: the unit prices, the level's percent and the amount they give
 * (the same arithmetic as price-list.ts), written once for turns and re-executions.
 */
function pricedColumns(prices: PriceList, percent: RawBuilder<unknown>): RawBuilder<unknown> {
  const perInput = sql`${prices.per1kInputTokensWei.toString()}::numeric`;
  const perOutput = sql`${prices.per1kOutputTokensWei.toString()}::numeric`;
  return sql`${perInput}, ${perOutput}, ${percent}, div((t.prompt_tokens * ${perInput} + t.completion_tokens * ${perOutput}) * ${percent}, 100000)`;
}

/** Where a run starts: the newest metered row of this kind (an index lookup), less the look-back. */
function newestMeteredLess(kind: 'turn' | 'reexec', lookbackSeconds: number): RawBuilder<unknown> {
  return sql`(coalesce((SELECT max(served_at) FROM node_earnings WHERE kind = ${sql.lit(kind)}), '-infinity'::timestamptz)
              - make_interval(secs => ${lookbackSeconds}))`;
}

@Injectable()
export class EarningsRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /**
   * Adds a ledger row for every finished turn and every re-execution not yet metered, priced with `prices`
   * (the same arithmetic as price-list.ts). Idempotent: run it as often as you like, from as many processes.
   * Looks back `lookbackSeconds` behind the newest metered row, for turns that committed after a later one (a turn's
   * finished_at is taken inside the statement that commits it, so the gap is the rest of that statement and its
   * commit: milliseconds, ~100 ms at worst seen under load). Every run probes the ledger once per turn in that window,
   * so the window, not the ledger's size, sets a run's cost: 15 s (a 60-s window cost 27–58 ms a run every 5 s at
   * 130 turns/s, loadtest/README.md, seventh round). `doppel earnings reconcile` finds any turn a run missed.
   */
  async meter(prices: PriceList, lookbackSeconds = 15, batch = 5000): Promise<{ turns: number; reexecutions: number }> {
    const levels = JSON.stringify(prices.levelPercent);
    const turns = await sql`
      INSERT INTO node_earnings (node_address, kind, turn_id, model_id, level, input_tokens, output_tokens,
                                 price_in_per_1k, price_out_per_1k, level_percent, amount_wei, served_at)
      SELECT t.node_address, 'turn', t.id, t.model_id, t.verification_level, t.prompt_tokens, t.completion_tokens,
             ${pricedColumns(prices, sql`pct.percent`)},
             t.finished_at
      FROM turns t
      CROSS JOIN LATERAL (SELECT coalesce((${levels}::jsonb ->> t.verification_level)::integer, 100) AS percent) pct
      WHERE t.status = 'done' AND t.node_address IS NOT NULL AND t.model_id IS NOT NULL
        AND t.finished_at >= ${newestMeteredLess('turn', lookbackSeconds)}
        AND NOT EXISTS (SELECT 1 FROM node_earnings e WHERE e.kind = 'turn' AND e.turn_id = t.id)
      ORDER BY t.finished_at
      LIMIT ${batch}
      ON CONFLICT DO NOTHING`.execute(this.db);
    const reexecutions = await sql`
      INSERT INTO node_earnings (node_address, kind, turn_id, reexecution_id, model_id, level, input_tokens, output_tokens,
                                 price_in_per_1k, price_out_per_1k, level_percent, amount_wei, served_at)
      SELECT r.checking_node, 'reexec', r.turn_id, r.id, t.model_id, t.verification_level, t.prompt_tokens, t.completion_tokens,
             ${pricedColumns(prices, sql`${prices.reexecPercent}`)},
             r.created_at
      FROM reexecutions r JOIN turns t ON t.id = r.turn_id
      WHERE t.model_id IS NOT NULL AND t.prompt_tokens IS NOT NULL AND r.checking_node ~ '^0x[0-9a-f]{40}$'
        AND r.created_at >= ${newestMeteredLess('reexec', lookbackSeconds)}
        AND NOT EXISTS (SELECT 1 FROM node_earnings e WHERE e.kind = 'reexec' AND e.reexecution_id = r.id)
      ORDER BY r.created_at
      LIMIT ${batch}
      ON CONFLICT DO NOTHING`.execute(this.db);
    return { turns: Number(turns.numAffectedRows ?? 0n), reexecutions: Number(reexecutions.numAffectedRows ?? 0n) };
  }

  /** Every done turn against the ledger, over turns finished in [from, to). */
  async reconcile(from: Date, to: Date): Promise<ReconciliationReport> {
    const { rows } = await sql<{ turn_id: string; done: boolean; entries: number; matches: boolean }>`
      SELECT t.id AS turn_id, true AS done, count(e.id)::integer AS entries,
             bool_and(e.node_address = t.node_address AND e.model_id = t.model_id AND e.level = t.verification_level
                      AND e.input_tokens = t.prompt_tokens AND e.output_tokens = t.completion_tokens) AS matches
      FROM turns t LEFT JOIN node_earnings e ON e.kind = 'turn' AND e.turn_id = t.id
      WHERE t.status = 'done' AND t.node_address IS NOT NULL AND t.finished_at >= ${from} AND t.finished_at < ${to}
      GROUP BY t.id`.execute(this.db);
    return {
      doneTurns: rows.length,
      meteredTurns: rows.filter((row) => row.entries > 0).length,
      unmetered: rows.filter((row) => row.entries === 0).map((row) => row.turn_id),
      mismatched: rows.filter((row) => row.entries > 0 && !row.matches).map((row) => row.turn_id),
      duplicated: rows.filter((row) => row.entries > 1).map((row) => row.turn_id),
    };
  }

  /** Earnings and utilisation per node and UTC day, over the last `days` days. */
  async perNodePerDay(days: number): Promise<NodeDayEarnings[]> {
    const { rows } = await sql<{
      node_address: string;
      day: string;
      turns: number;
      reexecutions: number;
      input_tokens: string;
      output_tokens: string;
      amount_wei: string;
      busy_seconds: number | null;
      day_seconds: number;
    }>`
      WITH window_days AS (
        SELECT generate_series((now() AT TIME ZONE 'UTC')::date - ${days - 1}::integer, (now() AT TIME ZONE 'UTC')::date, interval '1 day')::date AS day
      ), ledger AS (
        SELECT node_address, (served_at AT TIME ZONE 'UTC')::date AS day,
               count(*) FILTER (WHERE kind = 'turn')::integer AS turns,
               count(*) FILTER (WHERE kind = 'reexec')::integer AS reexecutions,
               sum(input_tokens) FILTER (WHERE kind = 'turn')::text AS input_tokens,
               sum(output_tokens) FILTER (WHERE kind = 'turn')::text AS output_tokens,
               sum(amount_wei)::text AS amount_wei
        FROM node_earnings
        WHERE served_at >= (SELECT min(day) FROM window_days)::timestamp AT TIME ZONE 'UTC'
        GROUP BY 1, 2
      ), busy AS (
        -- Overlapping turns count once: the union of a node's in-flight intervals, per day.
        SELECT node_address, day, sum(upper(span) - lower(span)) AS busy
        FROM (
          SELECT t.node_address, (t.started_at AT TIME ZONE 'UTC')::date AS day,
                 unnest(range_agg(tstzrange(t.started_at, t.finished_at))) AS span
          FROM turns t
          WHERE t.status = 'done' AND t.node_address IS NOT NULL AND t.started_at IS NOT NULL
            AND t.finished_at >= (SELECT min(day) FROM window_days)::timestamp AT TIME ZONE 'UTC'
          GROUP BY 1, 2
        ) spans
        GROUP BY 1, 2
      )
      SELECT l.node_address, l.day::text AS day, l.turns, l.reexecutions, coalesce(l.input_tokens, '0') AS input_tokens,
             coalesce(l.output_tokens, '0') AS output_tokens, l.amount_wei,
             extract(epoch FROM b.busy)::float8 AS busy_seconds,
             extract(epoch FROM least(now(), (l.day + 1)::timestamp AT TIME ZONE 'UTC') - (l.day::timestamp AT TIME ZONE 'UTC'))::float8 AS day_seconds
      FROM ledger l LEFT JOIN busy b ON b.node_address = l.node_address AND b.day = l.day
      ORDER BY l.day, l.node_address`.execute(this.db);
    return rows.map((row) => ({
      nodeAddress: row.node_address,
      day: row.day,
      turns: row.turns,
      reexecutions: row.reexecutions,
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      amountWei: row.amount_wei,
      utilisation: row.day_seconds > 0 ? Math.min(1, (row.busy_seconds ?? 0) / row.day_seconds) : 0,
    }));
  }

  /** Each node's earnings from the first ledger row through `throughId`, and the last row id. */
  async cumulativeThrough(throughId?: string): Promise<{ throughId: string; totals: { nodeAddress: string; cumulativeWei: bigint }[] }> {
    const last = throughId ?? (await this.db.selectFrom('node_earnings').select(sql<string>`coalesce(max(id), 0)::text`.as('id')).executeTakeFirstOrThrow()).id;
    const rows = await this.db
      .selectFrom('node_earnings')
      .select(['node_address', sql<string>`sum(amount_wei)::text`.as('total')])
      .where('id', '<=', last)
      .groupBy('node_address')
      .orderBy('node_address')
      .execute();
    return { throughId: last, totals: rows.map((row) => ({ nodeAddress: row.node_address, cumulativeWei: BigInt(row.total) })) };
  }

  async saveEpoch(epoch: { root: string; throughId: string; totalWei: bigint; contract: string; chainId: number; leaves: { nodeAddress: string; cumulativeWei: bigint; proof: string[] }[] }): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto('payout_epochs')
        .values({ merkle_root: epoch.root, through_entry_id: epoch.throughId, total_wei: epoch.totalWei.toString(), contract_address: epoch.contract.toLowerCase(), chain_id: epoch.chainId })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('payout_leaves')
        .values(epoch.leaves.map((leaf) => ({ epoch_id: id, node_address: leaf.nodeAddress, cumulative_wei: leaf.cumulativeWei.toString(), proof: leaf.proof })))
        .execute();
      return id;
    });
  }

  async markPosted(epochId: string, txHash: string): Promise<void> {
    await this.db.updateTable('payout_epochs').set({ tx_hash: txHash, posted_at: new Date() }).where('id', '=', epochId).execute();
  }

  /** The node's leaf in the newest posted epoch on this contract. */
  async latestLeaf(nodeAddress: string, contract: string): Promise<{ epochId: string; root: string; cumulativeWei: bigint; proof: string[] } | undefined> {
    const row = await this.db
      .selectFrom('payout_leaves as l')
      .innerJoin('payout_epochs as e', 'e.id', 'l.epoch_id')
      .select(['e.id', 'e.merkle_root', 'l.cumulative_wei', 'l.proof'])
      .where('l.node_address', '=', nodeAddress.toLowerCase())
      .where('e.contract_address', '=', contract.toLowerCase())
      .where('e.posted_at', 'is not', null)
      .orderBy('e.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { epochId: row.id, root: row.merkle_root, cumulativeWei: BigInt(row.cumulative_wei), proof: row.proof } : undefined;
  }
}
