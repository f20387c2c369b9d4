// doppel-verify: checks a Doppel receipt with no database and no server.
//   npm run verify -- receipt.json [--transcript transcript.json] --nodes 0xabc…,0xdef… [--tee-measurements hex,hex]
//     [--zk-models DIR]
// receipt.json may be the receipt itself, or the `verification` object of a turn:done event (receipt + transcript).
// Every level the receipt claims is checked and listed; a tee claim needs the measurements you approve for its model,
// a zk claim the verification keys you trust: those of every model folder in --zk-models (default: the models
// shipped beside this program), matched by the model hash the proof names.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { teeReceiptCheck } from '@doppel/attestation';
import { trustedSet, verifyReceipt, type Receipt, type ReceiptTranscript } from '@doppel/verification';
import { trustedZkModelsIn, zkKeyring, zkLevelCheck } from '@doppel/zkml';

const USAGE =
  'usage: doppel-verify <receipt.json> [--transcript <transcript.json>] --nodes <address,address,…> [--tee-measurements <hex,hex,…>] [--tee-max-age-ms <ms>] [--zk-models <dir>]';

async function main(args: string[]): Promise<number> {
  let receiptPath: string | undefined;
  let transcriptPath: string | undefined;
  let nodes: string[] = [];
  let teeMeasurements: string[] = [];
  let teeMaxAgeMs = 3_600_000;
  let zkModels = resolve(__dirname, '../../../models');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--transcript') transcriptPath = args[++i];
    else if (arg === '--nodes') nodes = (args[++i] ?? '').split(',').map((address) => address.trim()).filter(Boolean);
    else if (arg === '--tee-measurements') teeMeasurements = (args[++i] ?? '').split(',').map((hex) => hex.trim().toLowerCase()).filter(Boolean);
    else if (arg === '--tee-max-age-ms') teeMaxAgeMs = Number(args[++i]);
    else if (arg === '--zk-models') zkModels = resolve(args[++i] ?? '');
    else receiptPath ??= arg;
  }
  if (!receiptPath || nodes.length === 0 || !Number.isFinite(teeMaxAgeMs)) {
    console.error(USAGE);
    return 2;
  }
  const file = JSON.parse(await readFile(receiptPath, 'utf8')) as Record<string, unknown>;
  const receipt = (file.receipt && typeof file.receipt === 'object' && 'message' in (file.receipt as object) ? file.receipt : file) as Receipt;
  const transcript = transcriptPath
    ? (JSON.parse(await readFile(transcriptPath, 'utf8')) as ReceiptTranscript)
    : ((file.transcript as ReceiptTranscript | undefined) ?? undefined);
  const approved = new Set(teeMeasurements);
  const tee = teeReceiptCheck({ maxAgeMs: teeMaxAgeMs, isApproved: (_modelHash, _platform, measurement) => approved.has(measurement) });
  const zk = zkLevelCheck(zkKeyring(existsSync(zkModels) ? trustedZkModelsIn(zkModels) : []));
  const result = await verifyReceipt(receipt, trustedSet(nodes), transcript, { checks: { tee, zk } });
  console.log(JSON.stringify(result, null, 2));
  for (const level of result.claimed) console.log(`${level}: ${result.proven.includes(level) ? '✓ proven' : '✗ not proven'}`);
  console.log(result.valid ? 'VALID' : `INVALID: ${result.reasons.join('; ')}`);
  return result.valid ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`doppel-verify: ${(error as Error).message}`);
    process.exit(2);
  },
);
