import { join } from 'node:path';
import { Wallet } from 'ethers';
import { chainProvider } from '@doppel/chain';
import type { AppConfig } from '@doppel/config';
import { createDatabase } from '@doppel/db';
import { claimPayout, EarningsRepository, postPayoutRoot, priceListOf } from '@doppel/earnings';
import { loadNodeWallet } from '@doppel/verification';

const USAGE = `usage:
  earnings meter                      meter finished turns and re-executions into the ledger now
  earnings reconcile [--hours N]      every done turn of the last N hours (24) against the ledger; exit 1 on a gap
  payouts post [--every SECONDS]      post the Merkle root of cumulative earnings to NodePayouts (PAYOUT_POSTER_KEY)
  payouts claim [--to ADDRESS]        claim this node's unclaimed earnings with its proof (the node's own key)`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

function chainOf(config: AppConfig) {
  const { rpcUrl, chainId, rpcTimeoutMs, nodePayoutsAddress } = config.chain;
  if (!rpcUrl || !nodePayoutsAddress) throw new Error('payouts need CHAIN_RPC_URL and NODE_PAYOUTS_ADDRESS');
  return { provider: chainProvider(rpcUrl, chainId, Math.max(rpcTimeoutMs, 30_000)), chainId, contract: nodePayoutsAddress };
}

/** `earnings …` and `payouts …`: print JSON, one object a line. */
export async function runEconomics(config: AppConfig, command: 'earnings' | 'payouts', args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const db = createDatabase(config.databaseUrl, { maxConnections: 2 });
  const earnings = new EarningsRepository(db);
  try {
    if (command === 'earnings' && subcommand === 'meter') {
      console.log(JSON.stringify(await earnings.meter(priceListOf(config))));
    } else if (command === 'earnings' && subcommand === 'reconcile') {
      const hours = Number(option(rest, '--hours') ?? 24);
      const report = await earnings.reconcile(new Date(Date.now() - hours * 3_600_000), new Date());
      console.log(JSON.stringify(report));
      if (report.unmetered.length + report.mismatched.length + report.duplicated.length > 0) process.exitCode = 1;
    } else if (command === 'payouts' && subcommand === 'post') {
      const posterKey = process.env.PAYOUT_POSTER_KEY;
      if (!posterKey || !/^0x[0-9a-fA-F]{64}$/.test(posterKey)) throw new Error('payouts post needs PAYOUT_POSTER_KEY, the key NodePayouts accepts roots from (0x + 64 hex)');
      const { provider, chainId, contract } = chainOf(config);
      const poster = new Wallet(posterKey, provider);
      const everySeconds = Number(option(rest, '--every') ?? 0);
      try {
        for (;;) {
          await earnings.meter(priceListOf(config));
          const posted = await postPayoutRoot(earnings, contract, chainId, poster);
          console.log(JSON.stringify(posted ? { ...posted, totalWei: posted.totalWei.toString() } : { posted: false, reason: 'the ledger is empty' }));
          if (!(everySeconds > 0)) break;
          await new Promise((wait) => setTimeout(wait, everySeconds * 1000));
        }
      } finally {
        provider.destroy();
      }
    } else if (command === 'payouts' && subcommand === 'claim') {
      const { provider, contract } = chainOf(config);
      try {
        const wallet = await loadNodeWallet({
          privateKey: config.verification.nodePrivateKey,
          keystorePath: join(config.verification.keystoreDir, `${config.worker.id}.json`),
          keystorePassword: config.verification.keystorePassword,
        });
        const claim = await claimPayout(earnings, contract, wallet.connect(provider), option(rest, '--to'));
        console.log(JSON.stringify({ ...claim, amountWei: claim.amountWei.toString(), cumulativeWei: claim.cumulativeWei.toString() }));
      } finally {
        provider.destroy();
      }
    } else {
      console.error(USAGE);
      process.exitCode = 2;
    }
  } finally {
    await db.destroy();
  }
}
