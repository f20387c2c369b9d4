// The Chromium the browser specs drive through playwright-core: Debian's, installed by scripts/provision.sh, or the
// one CHROMIUM_PATH names.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps trying to reach Google's hosts, which this network refuses.
// Run as root, Chromium will not start with its sandbox.
export const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

export const chromiumInstalled = (): boolean => existsSync(CHROMIUM);

/** For specs that must not pass without a browser: fails, saying how to install one. */
export function requireChromium(): void {
  if (!chromiumInstalled()) throw new Error(`${CHROMIUM} is missing: run scripts/provision.sh as root (it installs Debian's chromium), or set CHROMIUM_PATH`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
