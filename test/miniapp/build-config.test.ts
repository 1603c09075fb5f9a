/** A production build that does not name its BFF, or that is the sandbox build, stops before compiling anything. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMiniapp } from './support/build';

describe('production build configuration', () => {
  it('refuses to build mp-weixin without VITE_API_BASE, and says how to set it', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'uc-no-api-base-'));
    try {
      // an empty value in the shell also overrides anything a local .env file might set
      const build = buildMiniapp('mp-weixin', outDir, { VITE_API_BASE: '' });
      await expect(build).rejects.toThrow(/VITE_API_BASE is not set: a production build needs the BFF's https origin/);
      expect(await readdir(outDir)).toEqual([]); // nothing was written
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('refuses a production build of the sandbox script (sandbox login and pay sheet are for DevTools only)', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'uc-sandbox-prod-'));
    try {
      const build = buildMiniapp(
        'mp-weixin-sandbox',
        outDir,
        { VITE_API_BASE: 'https://shop.example.com' },
        'production',
      );
      await expect(build).rejects.toThrow(
        /-p mp-weixin-sandbox is the development build for WeChat DevTools .*a production build is made with -p mp-weixin/,
      );
      expect(await readdir(outDir)).toEqual([]);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }, 180_000);
});
