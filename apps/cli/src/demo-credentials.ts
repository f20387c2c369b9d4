// The demo account's API key, kept on disk (mode 0600, git-ignored) so `npm run chat` works after setup.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface DemoCredentials {
  apiKey: string;
  accountId: string;
  personaId: string;
}

export const DEMO_CREDENTIALS_PATH = resolve(process.env.DOPPEL_DEMO_FILE ?? '.run/demo.json');

export async function readDemoCredentials(): Promise<DemoCredentials | null> {
  try {
    return JSON.parse(await readFile(DEMO_CREDENTIALS_PATH, 'utf8')) as DemoCredentials;
  } catch {
    return null;
  }
}

export async function writeDemoCredentials(credentials: DemoCredentials): Promise<void> {
  await mkdir(dirname(DEMO_CREDENTIALS_PATH), { recursive: true });
  await writeFile(DEMO_CREDENTIALS_PATH, JSON.stringify(credentials, null, 2), { mode: 0o600 });
}
