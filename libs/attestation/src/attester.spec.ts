import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attestNode, TEE_DEVICE_PATHS } from './attester';

const anyDevice = Object.values(TEE_DEVICE_PATHS).some((path) => existsSync(path));
if (anyDevice) console.warn('this machine has a TEE interface: the "no TEE hardware" test is skipped');

describe('the node attester', () => {
  it.skipIf(anyDevice)('reports no TEE hardware on a machine without any, and gives no evidence', async () => {
    const result = await attestNode('0x8ba1f109551bd432803012645ac136ddd64dba72', { nsmHelper: '/bin/false', endorsementsDir: '/nonexistent' });
    expect(result).toEqual({ available: false, reason: expect.stringMatching(/^no TEE hardware: none of \/dev\/nsm, \/dev\/sev-guest, \/dev\/tdx_guest, \/sys\/kernel\/config\/tsm\/report exists/) });
  });
});
