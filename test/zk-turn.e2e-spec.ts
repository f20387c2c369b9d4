// Level zk on real turns: a persona attaches the shipped doppel-topic-mlp, every reply is classified beside the
// chat model, and a turn at zk (alone, or with signed) carries a real Groth16 proof of that classification, made by
// the separately installed prover in its own process and checked by the verify CLI, the gateway and the generated
// Solidity verifier in an in-process EVM. Anything changed fails; zk without an attached model, or without a prover on
// any node, is refused loudly at intake.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type TurnDoneEvent, type TurnVerification } from '@doppel/protocol';
import { attachmentInputHash, defaultProverDir, fromField, loadZkModel, proverInstalled, solidityProofWords, solidityVerifierSource, toField, type ZkEvidence } from '@doppel/zkml';
import { chromiumInstalled, launchChromium } from './support/chromium';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { startStack, startWorker, testEnv, waitFor, type RunningProcess, type Stack } from './support/processes';
import { deployZkVerifier } from './support/zk-evm';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const installed = proverInstalled(defaultProverDir(ROOT));
if (!installed && process.env.CI) throw new Error('CI must run real proofs: the zk prover is not installed (scripts/provision.sh installs it)');
if (!installed) console.warn('zk turn tests skipped: the optional prover is not installed (cd apps/zk-prover && npm ci)');

const ENV = { EMBEDDING_MODEL: 'doppel-embed-small', TURN_DEADLINE_MS: '120000' };
const model = loadZkModel(resolve(ROOT, 'models/doppel-topic-mlp'));
type Evidence = { zk: ZkEvidence; attachments: { model: string; output: string[]; inputHash: string; top: string; scores: Record<string, number> }[] };

describe.skipIf(!installed)('level zk on turns of a persona with an attached model', () => {
  let stack: Stack;
  let alice: { id: string; apiKey: string };
  let socket: ChatClient;
  let conversationId: string;
  let plainConversationId: string;
  let scratch: string;
  let noProver: RunningProcess | null = null;
  const personas = () => api(stack.url, alice.apiKey);

  const cli = async (verification: unknown, name: string) => {
    const file = join(scratch, `${name}.json`);
    await writeFile(file, JSON.stringify(verification));
    const node = ((verification as TurnVerification).receipt.message as { node: string }).node;
    return run(process.execPath, [join(ROOT, 'dist/apps/verify/main.js'), file, '--nodes', node, '--zk-models', join(ROOT, 'models')]).then(
      (accepted) => ({ code: 0, stdout: accepted.stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
  };

  beforeAll(async () => {
    stack = await startStack(['zk-a'], ENV);
    alice = await signUp(stack.url, 'Alice');
    socket = await connectChat(stack.url, alice.apiKey);
    scratch = await mkdtemp(join(tmpdir(), 'doppel-zk-turn-'));
    const persona = await personas()('POST', '/personas', { name: 'Topical', greeting: 'Hi.', attachedModels: ['doppel-topic-mlp'] });
    expect(persona.status, JSON.stringify(persona.body)).toBe(201);
    conversationId = (await personas()('POST', '/conversations', { personaId: persona.body.id })).body.id;
    const plain = (await personas()('POST', '/personas', { name: 'Plain', greeting: 'Hi.' })).body.id;
    plainConversationId = (await personas()('POST', '/conversations', { personaId: plain })).body.id;
  }, 120_000);

  afterAll(async () => {
    socket?.close();
    await noProver?.stop();
    await stack?.stop();
  });

  it('refuses, when a persona is saved, a model that is unknown or cannot be attached', async () => {
    const unknown = await personas()('POST', '/personas', { name: 'X', attachedModels: ['no-such-model'] });
    expect(unknown).toMatchObject({ status: 400, body: { code: ErrorCode.ModelInvalid } });
    expect(unknown.body.message).toMatch(/no-such-model is not an attachable model/);
    const chatModel = await personas()('POST', '/personas', { name: 'X', attachedModels: ['doppel-nano-chat'] });
    expect(chatModel).toMatchObject({ status: 400, body: { code: ErrorCode.ModelInvalid } });
    const twice = await personas()('POST', '/personas', { name: 'X', attachedModels: ['doppel-topic-mlp', 'doppel-topic-mlp'] });
    expect(twice.status).toBe(400);
  });

  it('classifies every reply beside the chat model, even at level none', async () => {
    const result = await sendTurn(socket, { conversationId, text: 'I had bread and soup for lunch.' }, 60_000);
    expect(result.done, JSON.stringify(result.error)).not.toBeNull();
    expect(result.done!.verification).toBeNull();
    const [attachment] = result.done!.attachments!;
    expect(attachment).toMatchObject({ model: 'doppel-topic-mlp', modelHash: model.modelHash, verificationKeyHash: model.verificationKeyHash });
    expect(Object.keys(attachment!.scores)).toEqual(['food', 'animal', 'body', 'feeling']);
    expect(model.config.labels).toContain(attachment!.top);
  });

  let zkOnly: TurnDoneEvent;
  it('proves the classification at level zk: the CLI, the gateway and the EVM verifier accept the proof', async () => {
    const started = Date.now();
    const result = await sendTurn(socket, { conversationId, text: 'Tell me about dogs and cats.', verification: 'zk' }, 90_000);
    expect(result.done, JSON.stringify(result.error)).not.toBeNull();
    zkOnly = result.done!;
    const verification = zkOnly.verification!;
    expect(verification).toMatchObject({ level: 'zk', levels: ['zk'] });
    const evidence = (verification.receipt as { evidence: Evidence }).evidence;
    expect(evidence.attachments).toEqual(zkOnly.attachments);
    const [proof] = evidence.zk.attachments;
    expect(proof).toMatchObject({ model: 'doppel-topic-mlp', modelHash: model.modelHash, verificationKeyHash: model.verificationKeyHash });
    // The proven outputs and input are the ones the turn reported.
    expect(proof!.publicSignals.slice(0, 4).map((signal) => fromField(signal).toString())).toEqual(zkOnly.attachments![0]!.output);
    expect(attachmentInputHash(proof!.publicSignals.slice(4, -1).map((signal) => fromField(signal).toString()))).toBe(zkOnly.attachments![0]!.inputHash);
    console.log(`zk turn: ${Date.now() - started} ms end to end`);

    const accepted = await cli(verification, 'zk');
    expect(accepted.stdout).toContain('zk: ✓ proven');
    expect(accepted.code).toBe(0);
    const server = await personas()('POST', '/receipts/verify', { receipt: verification.receipt, transcript: verification.transcript });
    expect(server.body).toMatchObject({ valid: true, claimed: ['zk'], proven: ['zk'] });

    const verifier = await deployZkVerifier(solidityVerifierSource(model.verificationKey!));
    expect((await verifier.verifyProof(solidityProofWords(proof!.proof), proof!.publicSignals)).valid).toBe(true);
    const changed = [...proof!.publicSignals];
    changed[0] = toField(fromField(changed[0]!) + 1n);
    expect((await verifier.verifyProof(solidityProofWords(proof!.proof), changed)).valid).toBe(false);
  }, 120_000);

  it('refuses a zk receipt whose listed output or proven output was changed', async () => {
    const verification = structuredClone(zkOnly.verification!);
    const evidence = (verification.receipt as { evidence: Evidence }).evidence;
    evidence.attachments[0]!.output[1] = String(BigInt(evidence.attachments[0]!.output[1]!) + 4096n);
    const listed = await cli(verification, 'zk-listed');
    expect(listed.code).toBe(1);
    expect(listed.stdout).toContain('zk: ✗ not proven');
    expect(listed.stdout).toMatch(/the listed output is not the proven output/);

    const forged = structuredClone(zkOnly.verification!);
    const forgedProof = (forged.receipt as { evidence: Evidence }).evidence.zk.attachments[0]!;
    forgedProof.publicSignals[1] = toField(fromField(forgedProof.publicSignals[1]!) + 4096n);
    const proven = await cli(forged, 'zk-forged');
    expect(proven.code).toBe(1);
    expect(proven.stdout).toMatch(/Groth16 proof does not verify/);
  });

  it('serves signed+zk: the node signs the listed results and proves them; a changed result breaks both', async () => {
    const result = await sendTurn(socket, { conversationId, text: 'My knee hurts after running.', verification: ['zk', 'signed'] }, 90_000);
    expect(result.done, JSON.stringify(result.error)).not.toBeNull();
    const verification = result.done!.verification!;
    expect(verification).toMatchObject({ level: 'signed+zk', levels: ['signed', 'zk'] });
    expect((verification.receipt as { signatures: { attachments?: string } }).signatures.attachments).toMatch(/^0x/);
    const accepted = await cli(verification, 'signed-zk');
    expect(accepted.stdout).toContain('signed: ✓ proven');
    expect(accepted.stdout).toContain('zk: ✓ proven');
    expect(accepted.code).toBe(0);

    const tampered = structuredClone(verification);
    const attachment = (tampered.receipt as { evidence: Evidence }).evidence.attachments[0]!;
    attachment.top = attachment.top === 'food' ? 'animal' : 'food';
    const refused = await cli(tampered, 'signed-zk-tampered');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('signed: ✗ not proven');
    expect(refused.stdout).toMatch(/attachments signature does not recover/);
  }, 120_000);

  it.skipIf(!chromiumInstalled())('checks the zk proof in the browser: the badge shows zk ✓ and the reply\'s topic', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await page.goto(`${stack.url}/#/chat/${conversationId}`);
      await page.getByLabel('API key').fill(alice.apiKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.goto(`${stack.url}/#/chat/${conversationId}`);
      await expect.poll(() => page.locator('.connection').textContent()).toBe('online');
      const levels = page.getByRole('group', { name: 'Verification' });
      await levels.getByLabel('signed', { exact: true }).check();
      await levels.getByLabel('zk', { exact: true }).check();
      await page.getByLabel('Message', { exact: true }).fill('What is your favourite fruit?');
      await page.getByLabel('Message', { exact: true }).press('Enter');
      const reply = page.locator('.message.assistant').last();
      await reply.locator('.receipt').waitFor({ timeout: 60_000 });
      await expect.poll(() => reply.locator('.attachment').textContent()).toMatch(/^doppel-topic-mlp: (food|animal|body|feeling)$/);
      await reply.getByRole('button', { name: /Verify this reply/ }).click();
      await expect.poll(() => reply.locator('.verify-result').textContent(), { timeout: 30_000 }).toMatch(/^✓ verified in your browser/);
      expect(await reply.locator('.badge[data-level="zk"]').textContent()).toBe('zk ✓');
      expect(await reply.locator('.badge[data-level="signed"]').textContent()).toBe('signed ✓');
    } finally {
      await browser.close();
    }
  }, 180_000);

  it('costs: turn latency at signed vs signed+zk on this node (logged for docs/receipts.md)', async () => {
    const totals: Record<string, number[]> = { signed: [], 'signed+zk': [] };
    for (let round = 0; round < 5; round++) {
      for (const level of ['signed', 'signed+zk']) {
        const started = performance.now();
        const result = await sendTurn(socket, { conversationId, text: `round ${round}: what should I cook tonight?`, verification: level }, 90_000);
        expect(result.done, JSON.stringify(result.error)).not.toBeNull();
        totals[level]!.push(performance.now() - started);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    console.log(`zk cost per turn: signed p50 ${median(totals.signed!).toFixed(0)} ms, signed+zk p50 ${median(totals['signed+zk']!).toFixed(0)} ms (${JSON.stringify(totals)})`);
  }, 600_000);

  it('refuses a zk turn at intake for a persona with no attached model, in the ack', async () => {
    const result = await sendTurn(socket, { conversationId: plainConversationId, text: 'prove nothing', verification: 'zk' }, 60_000);
    expect(result.done).toBeNull();
    expect(result.ack).toMatchObject({ ok: false, error: { code: ErrorCode.VerificationUnavailable } });
    expect(JSON.stringify(result.ack)).toMatch(/attached small models, and this persona has none/);
  });

  it('refuses level zk at intake when no live node has the prover', async () => {
    const started = performance.now();
    noProver = await startWorker('zk-none', testEnv({ ...ENV, ZK_PROVER_DIR: join(scratch, 'no-prover') }));
    expect(noProver.output()).toMatch(/; zk no;/);
    console.log(`worker without a prover ready in ${(performance.now() - started).toFixed(0)} ms`);
    await stack.workers[0]!.stop();
    await waitFor(async () => {
      const body = (await (await fetch(`${stack.url}/health/ready`)).json()) as { workers: { nodeId: string }[] };
      return body.workers.length === 1 && body.workers[0]!.nodeId === 'zk-none';
    }, 'only the worker without a prover to be live', 20_000);
    const result = await sendTurn(socket, { conversationId, text: 'prove it', verification: 'zk' }, 30_000);
    expect(result.ack).toMatchObject({ ok: false, error: { code: ErrorCode.VerificationUnavailable } });
    expect(JSON.stringify(result.ack)).toMatch(/zk prover/);
    // The same persona still gets its classification at other levels on that node.
    const signed = await sendTurn(socket, { conversationId, text: 'just sign it', verification: 'signed' }, 60_000);
    expect(signed.done, JSON.stringify(signed.error)).not.toBeNull();
    expect(signed.done!.attachments).toHaveLength(1);
    expect((signed.done!.verification!.receipt as { evidence: Evidence }).evidence.zk).toBeUndefined();
    expect((await cli(signed.done!.verification, 'signed-only')).code).toBe(0);
  }, 240_000);
});
