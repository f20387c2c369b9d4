import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionSampler } from './admission-sampler';

/** A stand-in for the gateway's GET /operator/admission: answers `states` in turn, and 401 without the key. */
async function gatewayAnswering(states: object[]): Promise<{ url: string; server: Server }> {
  let next = 0;
  const server = createServer((request, response) => {
    if (request.headers.authorization !== 'Bearer op-key') {
      response.writeHead(401).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(states[Math.min(next++, states.length - 1)]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/operator/admission`, server };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('AdmissionSampler', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it("turns the gateway's refusal counter into refusals per sample and summarises the limit", async () => {
    const gateway = await gatewayAnswering([
      { limit: 256, inFlight: 10, served: null, turnsRefused: 7 },
      { limit: 120, inFlight: 118, served: 110, turnsRefused: 7 },
      { limit: 80, inFlight: 80, served: 85, turnsRefused: 19 },
    ]);
    server = gateway.server;
    const sampler = new AdmissionSampler(gateway.url, 'op-key');
    expect(sampler.sample()).toBeNull(); // the first read starts now
    const samples = [];
    for (let index = 0; index < 3; index++) {
      await settle();
      samples.push(sampler.sample());
    }
    // Refusals before the run started (7) are not the run's.
    expect(samples).toEqual([
      { limit: 256, inFlight: 10, served: null, refused: 0 },
      { limit: 120, inFlight: 118, served: 110, refused: 0 },
      { limit: 80, inFlight: 80, served: 85, refused: 12 },
    ]);
    expect(sampler.summary()).toEqual({
      samples: 3,
      limit: { min: 80, median: 120, max: 256 },
      inFlight: { median: 80, max: 118 },
      refusingSeconds: 1,
      refused: 12,
      errors: [],
    });
  });

  it('says why a read failed instead of recording a sample', async () => {
    const gateway = await gatewayAnswering([{ limit: 1, inFlight: 0, served: null, turnsRefused: 0 }]);
    server = gateway.server;
    const sampler = new AdmissionSampler(gateway.url, 'wrong-key');
    sampler.sample();
    await settle();
    expect(sampler.sample()).toBeNull();
    expect(sampler.summary()).toMatchObject({ samples: 0, errors: [expect.stringMatching(/HTTP 401.*operator key/)] });
  });
});
