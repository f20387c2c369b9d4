// doppel-verify: checks a Doppel receipt with no database and no server.
//   npm run verify -- receipt.json [--transcript transcript.json] --nodes 0xabc…,0xdef…
// receipt.json may be the receipt itself, or the `verification` object of a turn:done event (receipt + transcript).
import { readFile } from 'node:fs/promises';
import { trustedSet, verifyReceipt, type Receipt, type ReceiptTranscript } from '@doppel/verification';

const USAGE = 'usage: doppel-verify <receipt.json> [--transcript <transcript.json>] --nodes <address,address,…>';

async function main(args: string[]): Promise<number> {
  let receiptPath: string | undefined;
  let transcriptPath: string | undefined;
  let nodes: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--transcript') transcriptPath = args[++i];
    else if (arg === '--nodes') nodes = (args[++i] ?? '').split(',').map((address) => address.trim()).filter(Boolean);
    else receiptPath ??= arg;
  }
  if (!receiptPath || nodes.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const file = JSON.parse(await readFile(receiptPath, 'utf8')) as Record<string, unknown>;
  const receipt = (file.receipt && typeof file.receipt === 'object' && 'message' in (file.receipt as object) ? file.receipt : file) as Receipt;
  const transcript = transcriptPath
    ? (JSON.parse(await readFile(transcriptPath, 'utf8')) as ReceiptTranscript)
    : ((file.transcript as ReceiptTranscript | undefined) ?? undefined);
  const result = await verifyReceipt(receipt, trustedSet(nodes), transcript);
  console.log(JSON.stringify(result, null, 2));
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
