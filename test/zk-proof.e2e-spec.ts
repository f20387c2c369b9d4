// Real Groth16 proofs for the shipped doppel-topic-mlp: the circuit compiled by circom2, proven by snarkjs in the
// separately installed prover (apps/zk-prover), and verified three ways: @noble/curves in this package, the
// generated Solidity verifier in an in-process EVM, and not at all once anything public is changed.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bindingOf,
  compiledCircuit,
  defaultProverDir,
  loadZkModel,
  proverInstalled,
  runAttachment,
  solidityProofWords,
  solidityVerifierSource,
  splitPublicSignals,
  toField,
  verifyGroth16,
  witnessInputOf,
  ZkProverClient,
  checkZkEvidence,
  trustedZkModelsIn,
  zkKeyring,
  zkScores,
  type ProofResult,
  type ZkEvidence,
} from '@doppel/zkml';
import { hashCanonical, RECEIPT_TYPES, signReceipt, type Receipt, type ReceiptMessage } from '@doppel/verification';
import { deployZkVerifier } from './support/zk-evm';

const run = promisify(execFile);

const REPO = resolve(__dirname, '..');
const proverDir = defaultProverDir(REPO);
const installed = proverInstalled(proverDir);
if (!installed && process.env.CI) throw new Error(`CI must run real proofs: the zk prover is not installed at ${proverDir} (scripts/provision.sh installs it)`);
if (!installed) console.warn(`zk proof tests skipped: the optional prover is not installed at ${proverDir} (cd apps/zk-prover && npm ci)`);

describe.skipIf(!installed)('zk proofs for the shipped doppel-topic-mlp', () => {
  const model = loadZkModel(resolve(REPO, 'models/doppel-topic-mlp'));
  const vector = Float32Array.from({ length: 100 }, (_, index) => Math.sin(index * 1.7) / 7.2);
  const outputHash = `0x${'5a'.repeat(32)}`;
  let client: ZkProverClient;
  let proof: ProofResult;

  beforeAll(async () => {
    const compiled = await compiledCircuit(model, proverDir, resolve(REPO, 'models/.work/zk/circuits'));
    expect(compiled.constraints).toBeLessThan(2 ** 11);
    client = await ZkProverClient.start(proverDir);
    const attachment = runAttachment(model, vector);
    proof = await client.prove({ wasm: compiled.wasm, zkey: model.zkeyPath! }, witnessInputOf(attachment.input.map(BigInt), bindingOf(outputHash)));
  }, 600_000);

  afterAll(async () => {
    await client?.close();
  });

  it('proves exactly the fixed-point result the turn records, bound to the receipt', () => {
    const attachment = runAttachment(model, vector);
    const { output, input, binding } = splitPublicSignals(model.quantized, proof.publicSignals);
    expect(output.map(String)).toEqual(attachment.output);
    expect(input.map(String)).toEqual(attachment.input);
    expect(binding).toBe(bindingOf(outputHash));
  });

  it('verifies with the committed key in this package (noble), and fails for any changed public signal', () => {
    const key = model.verificationKey!;
    expect(verifyGroth16(key, proof.publicSignals, proof.proof)).toBe(true);
    const changedOutput = [...proof.publicSignals];
    changedOutput[0] = toField(BigInt(changedOutput[0]!) + 1n);
    expect(verifyGroth16(key, changedOutput, proof.proof)).toBe(false);
    const changedInput = [...proof.publicSignals];
    changedInput[10] = toField(BigInt(changedInput[10]!) + 1n);
    expect(verifyGroth16(key, changedInput, proof.proof)).toBe(false);
    const otherReceipt = [...proof.publicSignals];
    otherReceipt[otherReceipt.length - 1] = toField(bindingOf(`0x${'a5'.repeat(32)}`));
    expect(verifyGroth16(key, otherReceipt, proof.proof)).toBe(false);
    expect(verifyGroth16(key, proof.publicSignals, { ...proof.proof, pi_a: proof.proof.pi_c })).toBe(false);
  });

  it('checks as receipt evidence: trusted key by model hash, bound to the receipt, nothing else accepted', () => {
    const keyring = zkKeyring(trustedZkModelsIn(resolve(REPO, 'models')));
    const evidence: ZkEvidence = {
      attachments: [{ model: model.name, modelHash: model.modelHash, verificationKeyHash: model.verificationKeyHash!, publicSignals: proof.publicSignals, proof: proof.proof }],
    };
    expect(checkZkEvidence(evidence, outputHash, keyring)).toEqual([]);
    expect(checkZkEvidence(evidence, `0x${'a5'.repeat(32)}`, keyring).join()).toMatch(/bound to another receipt/);
    expect(checkZkEvidence({ attachments: [{ ...evidence.attachments[0]!, modelHash: 'f'.repeat(64) }] }, outputHash, keyring).join()).toMatch(/no trusted verification key/);
    expect(checkZkEvidence({ attachments: [] }, outputHash, keyring)).toEqual(['the receipt carries no zk proof']);
    const trusted = keyring.byModelHash(model.modelHash)!;
    expect(Object.keys(zkScores(trusted, proof.publicSignals))).toEqual(['food', 'animal', 'body', 'feeling']);
  });

  it('verifies with the verify CLI (dist/apps/verify): zk ✓ for the real proof, ✗ once an output is changed', async () => {
    const wallet = Wallet.createRandom();
    const domain = { name: 'Doppel', version: '1', chainId: 1337 };
    const message: ReceiptMessage = {
      turnId: 'a6f1c0de-0000-4000-8000-0000000000a1',
      conversationId: 'a6f1c0de-0000-4000-8000-0000000000a2',
      personaVersionHash: hashCanonical({ p: 1 }),
      modelHash: hashCanonical({ m: 1 }),
      inputHash: hashCanonical({ i: 1 }),
      outputHash,
      paramsHash: hashCanonical({ s: 1 }),
      memoriesHash: hashCanonical([]),
      node: wallet.address,
      startedAt: 1_790_000_000_000,
      finishedAt: 1_790_000_000_900,
      level: 'signed+zk',
    };
    const attachment = { model: model.name, modelHash: model.modelHash, verificationKeyHash: model.verificationKeyHash!, publicSignals: proof.publicSignals, proof: proof.proof };
    const receipt: Receipt = {
      id: 'a6f1c0de-0000-4000-8000-0000000000a3',
      domain,
      types: RECEIPT_TYPES,
      primaryType: 'Receipt',
      message,
      signatures: { node: await signReceipt(wallet, domain, message) },
      evidence: { zk: { attachments: [attachment] } },
    };
    const dir = mkdtempSync(join(tmpdir(), 'doppel-zk-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(receipt));
    const cli = join(REPO, 'dist/apps/verify/main.js');
    const accepted = await run(process.execPath, [cli, good, '--nodes', wallet.address, '--zk-models', join(REPO, 'models')]);
    expect(accepted.stdout).toContain('zk: ✓ proven');
    expect(accepted.stdout).toContain('VALID');
    const changed = [...proof.publicSignals];
    changed[2] = toField(BigInt(changed[2]!) + 4096n);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...receipt, evidence: { zk: { attachments: [{ ...attachment, publicSignals: changed }] } } }));
    const refused = await run(process.execPath, [cli, bad, '--nodes', wallet.address, '--zk-models', join(REPO, 'models')]).then(
      () => {
        throw new Error('the CLI accepted a changed output');
      },
      (error: { code: number; stdout: string }) => error,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('zk: ✗ not proven');
    expect(refused.stdout).toMatch(/Groth16 proof does not verify/);
  }, 120_000);

  it('verifies in the EVM through the generated Solidity verifier', async () => {
    const verifier = await deployZkVerifier(solidityVerifierSource(model.verificationKey!));
    const accepted = await verifier.verifyProof(solidityProofWords(proof.proof), proof.publicSignals);
    expect(accepted.valid).toBe(true);
    const changed = [...proof.publicSignals];
    changed[1] = toField(BigInt(changed[1]!) + 1n);
    expect((await verifier.verifyProof(solidityProofWords(proof.proof), changed)).valid).toBe(false);
    console.log(`zk verifier gas: ${accepted.gasUsed}`);
  }, 120_000);
});
