/**
 * Debian's Chromium driven by playwright-core, as ARCHITECTURE.md prescribes: the system
 * binary (never `playwright install`), fixed flags and a fresh profile per launch.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why the browser tests cannot run here, or undefined when they can. CI installs Chromium
 * (`.ci/run`), so there a missing binary is not a reason to skip: the launch fails instead.
 */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return undefined;
  return `${CHROMIUM_PATH} is not installed (apt-get install chromium); CI always runs this test`;
}

export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts Chromium headless on a throwaway user-data-dir. */
export async function launchChromium(): Promise<LaunchedChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: CI must install chromium (.ci/run does)`);
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'tessera-chromium-'));
  const removeProfile = () => rm(userDataDir, { recursive: true, force: true });
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 800 },
    });
    return {
      context,
      async close() {
        try {
          await context.close();
        } finally {
          await removeProfile();
        }
      },
    };
  } catch (error) {
    await removeProfile();
    throw error;
  }
}
