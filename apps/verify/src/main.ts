// doppel-verify: checks a Doppel receipt with no database and no server.
//   npm run verify -- receipt.json [--transcript transcript.json] --nodes 0xabc…,0xdef… [--tee-measurements hex,hex]
//     [--zk-models DIR] [--inclusion inclusion.json [--rpc URL] [--registry 0x…]]
// receipt.json may be the receipt itself, or the `verification` object of a turn:done event (receipt + transcript).
// Every level the receipt claims is checked and listed; a tee claim needs the measurements you approve for its model,
// a zk claim the verification keys you trust: those of every model folder in --zk-models (default: the models
// shipped beside this program), matched by the model hash the proof names. --inclusion takes the body of
// GET /receipts/:id/inclusion and checks the receipt is a leaf of that settled batch; with --rpc, also against the
// root the ReceiptRegistry contract holds (--registry, default the address the inclusion names).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { teeReceiptCheck } from '@doppel/attestation';
import { trustedSet, verifyReceipt, type Receipt, type ReceiptTranscript } from '@doppel/verification';
import { trustedZkModelsIn, zkKeyring, zkLevelCheck } from '@doppel/zkml';
import { checkInclusion, type InclusionFile } from './inclusion';

const USAGE =
  'usage: doppel-verify <receipt.json> [--transcript <transcript.json>] --nodes <address,address,…> [--tee-measurements <hex,hex,…>] [--tee-max-age-ms <ms>] [--zk-models <dir>] [--inclusion <inclusion.json> [--rpc <url>] [--registry <address>]]';

async function main(args: string[]): Promise<number> {
  let receiptPath: string | undefined;
  let transcriptPath: string | undefined;
  let nodes: string[] = [];
  let teeMeasurements: string[] = [];
  let teeMaxAgeMs = 3_600_000;
  let zkModels = resolve(__dirname, '../../../models');
  let inclusionPath: string | undefined;
  let rpcUrl: string | undefined;
  let registry: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--transcript') transcriptPath = args[++i];
    else if (arg === '--nodes') nodes = (args[++i] ?? '').split(',').map((address) => address.trim()).filter(Boolean);
    else if (arg === '--tee-measurements') teeMeasurements = (args[++i] ?? '').split(',').map((hex) => hex.trim().toLowerCase()).filter(Boolean);
    else if (arg === '--tee-max-age-ms') teeMaxAgeMs = Number(args[++i]);
    else if (arg === '--zk-models') zkModels = resolve(args[++i] ?? '');
    else if (arg === '--inclusion') inclusionPath = args[++i];
    else if (arg === '--rpc') rpcUrl = args[++i];
    else if (arg === '--registry') registry = args[++i];
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
  let settled = true;
  if (inclusionPath) {
    const inclusion = JSON.parse(await readFile(inclusionPath, 'utf8')) as InclusionFile;
    const check = await checkInclusion(receipt, inclusion, rpcUrl ? { rpcUrl, registry } : undefined);
    settled = check.included;
    const where = check.onChain === null ? 'offline' : check.onChain ? 'and on the chain' : 'not on the chain';
    console.log(`settled: ${check.included ? `✓ in batch ${inclusion.batchId} (root ${inclusion.root.slice(0, 12)}…), ${where}` : `✗ ${check.reasons.join('; ')}`}`);
  }
  console.log(result.valid && settled ? 'VALID' : `INVALID: ${[...result.reasons, ...(settled ? [] : ['not included in the settled batch'])].join('; ')}`);
  return result.valid && settled ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`doppel-verify: ${(error as Error).message}`);
    process.exit(2);
  },
);
