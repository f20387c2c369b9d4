#!/usr/bin/env node
// doppel-zk-prover: compile | ptau-beacon | setup | prove | serve. `serve` reads one JSON request per line on stdin
// and writes one JSON response per line on stdout: {id, op: "prove", wasm, zkey, input} → {id, ok, proof,
// publicSignals, provingMs} or {id, ok: false, error}. Nothing here touches the network.
import { createInterface } from 'node:readline';
import { beaconPtau, compileCircuit, prove, setupCircuit, terminate, verify, VERSIONS } from './prover.mjs';

function options(args) {
  const parsed = { _: [] };
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) parsed[args[i].slice(2)] = args[++i];
    else parsed._.push(args[i]);
  }
  return parsed;
}

async function serve() {
  process.stdout.write(`${JSON.stringify({ ready: true, versions: VERSIONS })}\n`);
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  for await (const line of lines) {
    if (!line.trim()) continue;
    queue = queue.then(async () => {
      let id = null;
      try {
        const request = JSON.parse(line);
        id = request.id ?? null;
        if (request.op === 'prove') process.stdout.write(`${JSON.stringify({ id, ok: true, ...(await prove(request)) })}\n`);
        else if (request.op === 'verify') process.stdout.write(`${JSON.stringify({ id, ok: true, valid: await verify(request) })}\n`);
        else throw new Error(`unknown op ${request.op}`);
      } catch (error) {
        process.stdout.write(`${JSON.stringify({ id, ok: false, error: error instanceof Error ? error.message : String(error) })}\n`);
      }
    });
  }
  await queue;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const args = options(rest);
  const print = (value) => process.stdout.write(`${JSON.stringify(value, null, 1)}\n`);
  switch (command) {
    case '--version':
      return print(VERSIONS);
    case 'compile':
      return print(await compileCircuit(args._[0], args._[1]));
    case 'ptau-beacon':
      return print(await beaconPtau(Number(args.power), args.beacon, args._[0]));
    case 'setup':
      return print(await setupCircuit({ r1cs: args.r1cs, ptau: args.ptau, ptauSha256: args['ptau-sha256'], ptauBlake2b: args['ptau-blake2b'], beaconHex: args.beacon, zkeyPath: args.zkey, verificationKeyPath: args.vkey }));
    case 'prove': {
      const chunks = [];
      for await (const chunk of process.stdin) chunks.push(chunk);
      return print(await prove(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    }
    case 'serve':
      return serve();
    default:
      throw new Error('usage: doppel-zk-prover compile|ptau-beacon|setup|prove|serve (see apps/zk-prover/README.md)');
  }
}

main()
  .then(terminate)
  .then(() => process.exit(0))
  .catch(async (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    await terminate();
    process.exit(1);
  });
