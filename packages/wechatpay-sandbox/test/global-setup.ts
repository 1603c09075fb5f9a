/**
 * Once per test run of the sandbox project: a sandbox state dir holding one identity (its RSA keys)
 * in the default key mode, that the sandboxes of the test files start from (see
 * `sandboxStateDir` in helpers.ts) instead of each generating keys of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadOrCreateIdentity } from '../src/credentials.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** a state dir holding the run's public-key identity (global-setup.ts) */
    sandboxIdentityTemplate: string | undefined;
  }
}

export default async function setup(project: TestProject) {
  const parent = mkdtempSync(join(tmpdir(), 'sandbox-identity-'));
  const dir = join(parent, 'public-key');
  // the identity alone (what a sandbox keeps in its state dir): the server and its routes are not
  // loaded into the run's main process for it
  loadOrCreateIdentity(dir);
  project.provide('sandboxIdentityTemplate', dir);
  return () => rmSync(parent, { recursive: true, force: true });
}
