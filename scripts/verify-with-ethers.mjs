#!/usr/bin/env node
// An independent check of a Doppel receipt that uses only ethers and node:crypto — none of Doppel's own code —
// following docs/receipts.md. Usage: node scripts/verify-with-ethers.mjs <turn-verification.json> <node address…>
// The JSON is the `verification` object of a turn:done event ({ receipt, transcript, … }).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifyTypedData } from 'ethers';

// Canonical JSON as docs/receipts.md defines it: keys sorted by UTF-16 code units, no whitespace.
function canonical(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
}
const sha = (value) => `0x${createHash('sha256').update(canonical(value), 'utf8').digest('hex')}`;

const [file, ...expectedNodes] = process.argv.slice(2);
const { receipt, transcript } = JSON.parse(readFileSync(file, 'utf8'));
const problems = [];
const types = {
  Receipt: [
    { name: 'turnId', type: 'string' },
    { name: 'conversationId', type: 'string' },
    { name: 'personaVersionHash', type: 'bytes32' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'inputHash', type: 'bytes32' },
    { name: 'outputHash', type: 'bytes32' },
    { name: 'paramsHash', type: 'bytes32' },
    { name: 'memoriesHash', type: 'bytes32' },
    { name: 'node', type: 'address' },
    { name: 'startedAt', type: 'uint64' },
    { name: 'finishedAt', type: 'uint64' },
    { name: 'level', type: 'string' },
  ],
};
const signer = verifyTypedData(receipt.domain, types, receipt.message, receipt.signatures.node);
if (signer.toLowerCase() !== receipt.message.node.toLowerCase()) problems.push(`signature is by ${signer}, receipt names ${receipt.message.node}`);
if (!expectedNodes.map((address) => address.toLowerCase()).includes(signer.toLowerCase())) problems.push(`signer ${signer} is not an expected node`);
const recomputed = {
  inputHash: sha(transcript.input),
  outputHash: sha(transcript.output),
  paramsHash: sha(transcript.params),
  memoriesHash: sha(transcript.memories),
};
for (const [field, hash] of Object.entries(recomputed)) if (hash !== receipt.message[field]) problems.push(`${field} does not recompute`);
console.log(problems.length === 0 ? `VALID: signed by ${signer}` : `INVALID: ${problems.join('; ')}`);
process.exit(problems.length === 0 ? 0 : 1);
