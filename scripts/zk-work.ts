// Where zk build products live on a machine (models/.work/zk, git-ignored): compiled circuits and the test ptau.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { testPtau, TEST_CEREMONY } from '@doppel/zkml';

const REPO = resolve(__dirname, '..');
export const ZK_WORK_DIR = join(REPO, 'models', '.work', 'zk');

export function testPtauPath(): string {
  return join(ZK_WORK_DIR, `test-beacon-${TEST_CEREMONY.power}.ptau`);
}

/** The deterministic test ptau, made once per machine (a few CPU minutes) and reused. */
export async function ensureTestPtau(proverDir: string): Promise<{ ptau: string; sha256: string }> {
  const path = testPtauPath();
  if (existsSync(path)) return { ptau: path, sha256: '' };
  mkdirSync(ZK_WORK_DIR, { recursive: true });
  return testPtau(proverDir, TEST_CEREMONY.power, TEST_CEREMONY.beacon, path);
}

