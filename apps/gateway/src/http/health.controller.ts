import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type Redis from 'ioredis';
import { DatabaseHealthRepository } from '@doppel/db';
import { NodeRegistry, type NodeHeartbeat } from '@doppel/nodes';
import { REDIS } from '@doppel/redis';
import { PublicRoute } from '../auth/api-key.guard';

interface Check {
  ok: boolean;
  detail: string;
}

const CHECK_TIMEOUT_MS = 2000;

async function check(probe: () => Promise<string>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    return { ok: true, detail: await Promise.race([probe(), timeout]) };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('health')
@PublicRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: DatabaseHealthRepository,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly nodes: NodeRegistry,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Postgres, pgvector, Redis and at least one inference node are available (503 otherwise).' })
  async ready(@Res({ passthrough: true }) response: Response) {
    let workers: NodeHeartbeat[] = [];
    const checks = {
      postgres: await check(async () => {
        await this.database.ping();
        return 'connected';
      }),
      pgvector: await check(async () => {
        const version = await this.database.pgvectorVersion();
        if (!version) throw new Error('extension "vector" is not installed; run `npm run migrate`');
        return `version ${version}`;
      }),
      redis: await check(async () => this.redis.ping()),
      workers: await check(async () => {
        workers = await this.nodes.live();
        if (workers.length === 0) throw new Error('no inference node has sent a heartbeat recently; start one with `npm run start:worker`');
        return `${workers.length} live`;
      }),
    };
    const ready = Object.values(checks).every((result) => result.ok);
    response.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks, workers };
  }
}
