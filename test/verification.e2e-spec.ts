// Verified inference end to end: signed receipts, re-execution by a second node, fail-loud levels, revocation.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Wallet } from 'ethers';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import type { Database } from '@doppel/db';
import { ErrorCode, type TurnVerification } from '@doppel/protocol';
import { deployVerifier } from '../libs/verification/src/onchain-harness';
import { RECEIPT_TYPES, signReceipt, hashCanonical, type Receipt, type ReceiptMessage } from '@doppel/verification';
import { api, connectChat, sendRaw, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, startWorker, testEnv, waitFor, type RunningProcess, type Stack } from './support/processes';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const TEE_FIXTURES = resolve(ROOT, '../shared/fixtures/tee-attestations');
const teeFixtures = existsSync(join(TEE_FIXTURES, 'expected.json'));
if (!teeFixtures) console.warn(`TEE attestation fixtures not found at ${TEE_FIXTURES}: the receipt checks with real evidence are skipped`);

describe('verified inference', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let operatorKey: string;
  let alice: { id: string; apiKey: string };
  let socket: ChatClient;
  let personaId: string;
  let conversationId: string;
  let faulty: RunningProcess | null = null;
  let scratch: string;

  const liveNodeIds = async () => ((await api(stack.url)('GET', '/health/ready')).body.workers ?? []).map((node: { nodeId: string }) => node.nodeId).sort();
  const verifyViaApi = (body: unknown) => api(stack.url, alice.apiKey)('POST', '/receipts/verify', body);

  let reexecBefore: { turnsDone: number; reexecMismatches: number };
  const reexecStats = async () => {
    const stats = await api(stack.url, operatorKey)('GET', '/operator/verification?minutes=60');
    const level = stats.body.levels.find((entry: { level: string }) => entry.level === 'signed+reexec');
    return { turnsDone: level?.turnsDone ?? 0, reexecMismatches: level?.reexecMismatches ?? 0 };
  };

  beforeAll(async () => {
    stack = await startStack(['node-a', 'node-b']);
    db = testDatabase();
    operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Operator', ['consumer', 'creator', 'operator'])).apiKey;
    // Other suites share the database: this one's assertions are about the turns it adds.
    reexecBefore = await reexecStats();
    alice = await signUp(stack.url, 'Alice');
    socket = await connectChat(stack.url, alice.apiKey);
    personaId = (await api(stack.url, alice.apiKey)('POST', '/personas', { name: 'Vera', greeting: 'Hello.' })).body.id;
    conversationId = (await api(stack.url, alice.apiKey)('POST', '/conversations', { personaId })).body.id;
    scratch = await mkdtemp(join(tmpdir(), 'doppel-receipts-'));
  });

  afterAll(async () => {
    socket?.close();
    await faulty?.stop();
    await stack?.stop();
    await db?.destroy();
  });

  it('returns no receipt for level none', async () => {
    const result = await sendTurn(socket, { conversationId, text: 'no proof needed' });
    expect(result.ack).toMatchObject({ ok: true, verification: 'none' });
    expect(result.done!.verification).toBeNull();
  });

  let signed: TurnVerification;
  it('signs a receipt that an independent ethers-only script verifies, and whose hashes recompute', async () => {
    const result = await sendTurn(socket, { conversationId, text: 'prove it', verification: 'signed' });
    signed = result.done!.verification!;
    expect(signed).toMatchObject({ level: 'signed', reexec: null });
    const message = signed.receipt.message as Record<string, string>;
    const nodes = (await api(stack.url, operatorKey)('GET', '/nodes')).body as { address: string; nodeId: string; turnsServed: number }[];
    expect(nodes.map((node) => node.address)).toContain(message.node!.toLowerCase());
    expect(nodes.find((node) => node.address === message.node!.toLowerCase())!.turnsServed).toBeGreaterThanOrEqual(1);
    expect(message.outputHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect((signed.transcript as { output: { text: string } }).output.text).toBe(result.done!.text);

    const file = join(scratch, 'signed.json');
    await writeFile(file, JSON.stringify(signed));
    const independent = await run(process.execPath, [join(ROOT, 'scripts/verify-with-ethers.mjs'), file, message.node!], { cwd: ROOT });
    expect(independent.stdout).toContain('VALID: signed by');

    const cli = await run(process.execPath, [join(ROOT, 'dist/apps/verify/main.js'), file, '--nodes', nodes.map((node) => node.address).join(',')]);
    expect(cli.stdout).toContain('VALID');

    expect(await verifyViaApi({ receipt: signed.receipt, transcript: signed.transcript })).toMatchObject({ status: 200, body: { valid: true, transcriptChecked: true } });
    const stored = await api(stack.url, alice.apiKey)('GET', `/receipts/${signed.receiptId}`);
    expect(stored.body.receipt).toEqual(signed.receipt);
    const stranger = await signUp(stack.url, 'Stranger');
    expect(await api(stack.url, stranger.apiKey)('GET', `/receipts/${signed.receiptId}`)).toMatchObject({ status: 404, body: { code: ErrorCode.ReceiptNotFound } });
  });

  it('passes the Solidity verifier (in-process EVM) with a real receipt, and fails it when tampered', async () => {
    const message = signed.receipt.message as Record<string, unknown> & { node: string; outputHash: string };
    const onchain = await deployVerifier((signed.receipt.domain as { chainId: number }).chainId);
    await onchain.setNode(message.node, true);
    const signature = (signed.receipt.signatures as { node: string }).node;
    expect(await onchain.verify(message, signature)).toBe(true);
    expect(await onchain.verify({ ...message, outputHash: `0x${'0'.repeat(64)}` }, signature)).toBe(false);
  });

  it('rejects a wrong transcript, a changed field, and the ethers-only script agrees', async () => {
    const transcript = signed.transcript as { output: { text: string; tokenIds: null } };
    const wrongTranscript = { ...signed.transcript, output: { ...transcript.output, text: `${transcript.output.text} (edited)` } };
    const wrong = await verifyViaApi({ receipt: signed.receipt, transcript: wrongTranscript });
    expect(wrong.body.valid).toBe(false);
    expect(wrong.body.reasons.join(' ')).toMatch(/outputHash does not match the transcript/);

    const tampered = structuredClone(signed.receipt) as { message: Record<string, unknown> };
    tampered.message.finishedAt = (tampered.message.finishedAt as number) + 1;
    expect((await verifyViaApi({ receipt: tampered })).body.valid).toBe(false);

    const file = join(scratch, 'wrong.json');
    await writeFile(file, JSON.stringify({ receipt: signed.receipt, transcript: wrongTranscript }));
    const independent = await run(process.execPath, [join(ROOT, 'scripts/verify-with-ethers.mjs'), file, (signed.receipt.message as { node: string }).node]).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect(independent).toMatchObject({ code: 1 });
    expect((independent as { stdout: string }).stdout).toContain('outputHash does not recompute');
  });

  it('co-signs a reexec turn from a different node when both healthy nodes agree', async () => {
    const result = await sendTurn(socket, { conversationId, text: 'check me twice', verification: 'signed+reexec' });
    const verification = result.done!.verification!;
    expect(verification).toMatchObject({ level: 'signed+reexec', reexec: 'matched' });
    const signatures = verification.receipt.signatures as { reexec: { node: string } };
    const message = verification.receipt.message as { node: string; turnId: string };
    expect(signatures.reexec.node).not.toBe(message.node.toLowerCase());
    expect((await verifyViaApi({ receipt: verification.receipt, transcript: verification.transcript })).body).toMatchObject({ valid: true });
    const rows = await db.selectFrom('reexecutions').selectAll().where('turn_id', '=', message.turnId).execute();
    expect(rows).toEqual([expect.objectContaining({ kind: 'requested', matched: true, checking_node: signatures.reexec.node })]);
  });

  it('takes a set of levels as a list, and the receipt and turn:done list what was proven', async () => {
    const result = await sendTurn(socket, { conversationId, text: 'both, as a list', verification: ['reexec', 'signed'] });
    expect(result.ack).toMatchObject({ ok: true, verification: 'signed+reexec' });
    const verification = result.done!.verification!;
    expect(verification).toMatchObject({ level: 'signed+reexec', levels: ['signed', 'reexec'], reexec: 'matched' });
    expect((verification.receipt.message as { level: string }).level).toBe('signed+reexec');
    const check = await verifyViaApi({ receipt: verification.receipt, transcript: verification.transcript });
    expect(check.body).toMatchObject({ valid: true, claimed: ['signed', 'reexec'], proven: ['signed', 'reexec'] });
  });

  it('refuses tee loudly on nodes without TEE hardware, whatever else the set holds, and stores nothing', async () => {
    const turnsBefore = await db.selectFrom('turns').select((eb) => eb.fn.countAll<string>().as('count')).where('conversation_id', '=', conversationId).executeTakeFirstOrThrow();
    for (const [clientTurnId, verification] of [
      ['tee-alone', 'tee'],
      ['tee-in-a-set', ['signed', 'reexec', 'tee']],
    ] as const) {
      const ack = await sendRaw(socket, { conversationId, text: 'prove the enclave', clientTurnId, verification });
      expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.VerificationUnavailable, details: { level: 'tee', attestedNodes: 0 } } });
      expect((ack as { error: { message: string } }).error.message).toMatch(/TEE attestation of a measurement approved/);
    }
    const unknown = await sendRaw(socket, { conversationId, text: 'x', clientTurnId: 'sgx', verification: ['signed', 'sgx'] });
    expect(unknown).toMatchObject({ ok: false, error: { code: ErrorCode.ValidationFailed } });
    const turnsAfter = await db.selectFrom('turns').select((eb) => eb.fn.countAll<string>().as('count')).where('conversation_id', '=', conversationId).executeTakeFirstOrThrow();
    expect(turnsAfter.count).toBe(turnsBefore.count);
  });

  it('keeps a persona minimum given as a set, as its canonical label', async () => {
    const both = (await api(stack.url, alice.apiKey)('POST', '/personas', { name: 'Both', minVerification: ['reexec', 'signed'] })).body.id;
    expect((await api(stack.url, alice.apiKey)('GET', `/personas/${both}`)).body).toMatchObject({ definition: { minVerification: 'signed+reexec' } });
    const bothConversation = (await api(stack.url, alice.apiKey)('POST', '/conversations', { personaId: both })).body.id;
    const result = await sendTurn(socket, { conversationId: bothConversation, text: 'hi', verification: 'signed' });
    expect(result.ack).toMatchObject({ ok: true, verification: 'signed+reexec' });
    expect(result.done!.verification).toMatchObject({ levels: ['signed', 'reexec'], reexec: 'matched' });
  });

  describe('level tee: the measurement registry, and nodes without TEE hardware', () => {
    let measurementId: string;
    let synthetic: { id: string; contentHash: string };
    const nitroProdPcrs = () => {
      const doc = JSON.parse(readFileSync(join(TEE_FIXTURES, 'expected.json'), 'utf8')).nitro.docs['blocky-prod-2024-09-07.b64'];
      return { doc, measurement: `${doc.nonzero_pcrs['0']}${doc.nonzero_pcrs['1']}${doc.nonzero_pcrs['2']}` };
    };
    const syntheticMeasurement = 'ab'.repeat(144);

    it('workers here report no TEE hardware and store no attestation', async () => {
      for (const worker of stack.workers) expect(worker.output()).toMatch(/ready \(.*; tee no\)/);
      expect(await db.selectFrom('node_attestations').selectAll().execute()).toEqual([]);
    });

    it('lets operators approve, list and revoke measurements per model, and no one else', async () => {
      const models = (await api(stack.url, alice.apiKey)('GET', '/models')).body as { id: string; contentHash: string }[];
      synthetic = models.find((model) => model.id === 'synthetic')!;
      expect(synthetic).toBeDefined();
      const body = { modelId: 'synthetic', platform: 'nitro', measurement: syntheticMeasurement.toUpperCase(), note: 'test enclave image' };
      expect(await api(stack.url, alice.apiKey)('POST', '/tee/measurements', body)).toMatchObject({ status: 403 });
      expect(await api(stack.url, operatorKey)('POST', '/tee/measurements', { ...body, measurement: 'ab'.repeat(48) })).toMatchObject({
        status: 400,
        body: { code: ErrorCode.ValidationFailed },
      });
      const approved = await api(stack.url, operatorKey)('POST', '/tee/measurements', body);
      expect(approved).toMatchObject({ status: 201, body: { modelId: 'synthetic', platform: 'nitro', measurement: syntheticMeasurement, revokedAt: null } });
      measurementId = approved.body.id;
      expect((await api(stack.url, operatorKey)('GET', '/tee/measurements?modelId=synthetic')).body).toEqual([expect.objectContaining({ id: measurementId })]);
      expect(await api(stack.url, operatorKey)('POST', `/tee/measurements/${measurementId}/revoke`)).toMatchObject({ status: 200, body: { revokedAt: expect.any(String) } });
      expect(await api(stack.url, operatorKey)('POST', '/tee/measurements/not-an-id/revoke')).toMatchObject({ status: 404, body: { code: ErrorCode.MeasurementNotFound } });
      const again = await api(stack.url, operatorKey)('POST', '/tee/measurements', body);
      expect(again.body).toMatchObject({ id: measurementId, revokedAt: null });
    });

    it('still refuses tee with an approved measurement, because no node here has evidence binding its key', async () => {
      const ack = await sendRaw(socket, { conversationId, text: 'enclave now?', clientTurnId: 'tee-approved', verification: ['tee'] });
      expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.VerificationUnavailable, details: { level: 'tee' } } });
    });

    it.skipIf(!teeFixtures)('checks a receipt claiming tee against real Nitro evidence: approved, genuine, but binding another key, so tee is not proven', async () => {
      const { doc, measurement } = nitroProdPcrs();
      await api(stack.url, operatorKey)('POST', '/tee/measurements', { modelId: 'synthetic', platform: 'nitro', measurement });
      const wallet = Wallet.createRandom();
      const message: ReceiptMessage = {
        turnId: 'tee-claim',
        conversationId,
        personaVersionHash: hashCanonical('persona'),
        modelHash: `0x${synthetic.contentHash.replace(/^0x/, '')}`,
        inputHash: hashCanonical('in'),
        outputHash: hashCanonical('out'),
        paramsHash: hashCanonical('params'),
        memoriesHash: hashCanonical([]),
        node: wallet.address,
        startedAt: doc.timestamp_ms + 1000,
        finishedAt: doc.timestamp_ms + 2000,
        level: 'signed+tee',
      };
      const domain = { name: 'Doppel', version: '1', chainId: 1337 };
      const receipt: Receipt = {
        id: 'tee-claim',
        domain,
        types: RECEIPT_TYPES,
        primaryType: 'Receipt',
        message,
        signatures: { node: await signReceipt(wallet, domain, message) },
        evidence: { tee: { platform: 'nitro', document: readFileSync(join(TEE_FIXTURES, 'nitro/blocky-prod-2024-09-07.b64'), 'utf8'), boundAt: doc.timestamp_ms } },
      };
      const check = await verifyViaApi({ receipt });
      expect(check.body).toMatchObject({ valid: false, claimed: ['signed', 'tee'], proven: ['signed'] });
      expect(check.body.reasons.join(' ')).toMatch(/tee: BINDING_MISMATCH: nitro: the attestation's user_data does not bind node/);
      const withoutEvidence = await verifyViaApi({ receipt: { ...receipt, evidence: undefined } });
      expect(withoutEvidence.body.reasons.join(' ')).toMatch(/tee: the receipt carries no attestation evidence/);

      const file = join(scratch, 'tee-claim.json');
      await writeFile(file, JSON.stringify(receipt));
      const cli = await run(process.execPath, [join(ROOT, 'dist/apps/verify/main.js'), file, '--nodes', wallet.address, '--tee-measurements', measurement]).catch(
        (error: { code: number; stdout: string }) => error,
      );
      expect(cli).toMatchObject({ code: 1 });
      expect((cli as { stdout: string }).stdout).toMatch(/signed: ✓ proven\ntee: ✗ not proven/);
      expect((cli as { stdout: string }).stdout).toMatch(/BINDING_MISMATCH/);
    });
  });

  it("applies the persona's minimum even when the client asks for less", async () => {
    const strict = (await api(stack.url, alice.apiKey)('POST', '/personas', { name: 'Strict', minVerification: 'signed' })).body.id;
    const strictConversation = (await api(stack.url, alice.apiKey)('POST', '/conversations', { personaId: strict })).body.id;
    const result = await sendTurn(socket, { conversationId: strictConversation, text: 'hi', verification: 'none' });
    expect(result.ack).toMatchObject({ ok: true, verification: 'signed' });
    expect(result.done!.verification).toMatchObject({ level: 'signed' });
  });

  it('refuses reexec loudly when only one node is up', async () => {
    await stack.workers[1]!.stop();
    await waitFor(async () => JSON.stringify(await liveNodeIds()) === JSON.stringify(['node-a']), 'node-b to drop out of the live set');
    const ack = await sendRaw(socket, { conversationId, text: 'reexec please', clientTurnId: 'reexec-one-node', verification: 'reexec' });
    expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.VerificationUnavailable } });
  });

  it('catches a faulty re-executing node: the consumer sees the mismatch and the serving node gets a strike', async () => {
    faulty = await startWorker('node-faulty', testEnv({ FAULTY_REEXEC: 'true', NODE_SERVES_TURNS: 'false' }));
    await waitFor(async () => (await liveNodeIds()).includes('node-faulty'), 'the faulty verifier to join');
    const result = await sendTurn(socket, { conversationId, text: 'and now?', verification: 'signed+reexec' });
    const verification = result.done!.verification!;
    expect(verification).toMatchObject({ reexec: 'mismatch' });
    expect((verification.receipt.signatures as { reexec?: unknown }).reexec).toBeUndefined();
    const serving = (verification.receipt.message as { node: string }).node.toLowerCase();
    const node = await db.selectFrom('nodes').select(['strikes', 'node_id']).where('address', '=', serving).executeTakeFirstOrThrow();
    expect(node).toMatchObject({ node_id: 'node-a', strikes: 1 });
    // The receipt still proves what node-a did; it just carries no co-signature, so reexec-level verification fails.
    const check = await verifyViaApi({ receipt: verification.receipt, transcript: verification.transcript });
    expect(check.body.valid).toBe(false);
    expect(check.body.reasons.join(' ')).toMatch(/requires a re-execution co-signature/);
  });

  it('shows operators how levels are used and what they cost, in JSON and Prometheus text', async () => {
    expect((await api(stack.url, alice.apiKey)('GET', '/metrics')).status).toBe(403);
    const stats = await api(stack.url, operatorKey)('GET', '/operator/verification?minutes=60');
    const byLevel = Object.fromEntries(stats.body.levels.map((level: { level: string }) => [level.level, level]));
    expect(byLevel.signed.turnsDone).toBeGreaterThanOrEqual(2);
    expect(byLevel.signed.addedMs.p50).toBeGreaterThan(0);
    expect(byLevel['signed+reexec']).toMatchObject({ turnsDone: reexecBefore.turnsDone + 4, reexecMismatches: reexecBefore.reexecMismatches + 1 });
    const response = await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${operatorKey}` } });
    const text = await response.text();
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(/^doppel_turns_total\{level="signed",status="done"\} \d+$/m);
    expect(text).toMatch(/^doppel_verification_added_ms\{level="signed\+reexec",quantile="0.95"\} [\d.]+$/m);
    // The relay's failure counters: a healthy single Redis has neither holes nor dead reads.
    expect(text).toMatch(/^doppel_turn_stream_gaps_total 0$/m);
    expect(text).toMatch(/^doppel_turn_reader_stalls_total 0$/m);
    expect(text).toMatch(/^doppel_turn_streams_ended_from_store_total 0$/m);
    // This gateway's admission control: nothing in flight between tests, a limit, and (after these turns) a bound.
    expect(text).toMatch(/^doppel_admission_turns_in_flight 0$/m);
    expect(text).toMatch(/^doppel_admission_limit [1-9]\d*$/m);
    expect(text).toMatch(/^doppel_admission_served (\d+|NaN)$/m);
    expect(text).toMatch(/^doppel_admission_loop_saturated 0$/m);
  });

  it('stops trusting receipts of a revoked node', async () => {
    const address = (signed.receipt.message as { node: string }).node;
    expect((await api(stack.url, alice.apiKey)('POST', `/nodes/${address}/revoke`, { reason: 'test' })).status).toBe(403);
    const revoked = await api(stack.url, operatorKey)('POST', `/nodes/${address.toLowerCase()}/revoke`, { reason: 'key leaked in a test' });
    expect(revoked.body.revokedAt).not.toBeNull();
    const check = await verifyViaApi({ receipt: signed.receipt, transcript: signed.transcript });
    expect(check.body.valid).toBe(false);
    expect(check.body.reasons.join(' ')).toMatch(/not a registered, unrevoked node/);
  });
});
