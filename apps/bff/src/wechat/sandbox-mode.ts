/**
 * Sandbox mode (no WECHATPAY_MCHID, not production): use the local WeChat Pay sandbox as WeChat.
 * A sandbox already running for this state dir (pnpm sandbox) is reused; otherwise one is started
 * in-process on SANDBOX_PORT.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MerchantCredentials } from '../config.js';
import type { WechatpayKeyMode } from '../config.js';
import type { Logger } from '../logger.js';
import type { SandboxCredentials as SandboxCredentialsFile } from '@uni-checkout/wechatpay-sandbox';

export interface SandboxConnection {
  url: string;
  credentials: MerchantCredentials;
  /** set when this process started the sandbox and must close it */
  close?: () => Promise<void>;
}

function toMerchant(c: SandboxCredentialsFile): MerchantCredentials {
  return {
    appid: c.appid,
    appsecret: c.appsecret,
    apiBase: c.baseUrl,
    mchid: c.mchid,
    mchSerial: c.merchantSerialNo,
    mchPrivateKeyPem: c.merchantPrivateKeyPem,
    apiV3Key: c.apiV3Key,
    // the sandbox's key mode decides what a merchant of its kind holds
    keyMode: c.keyMode ?? 'public-key',
    wechatpayPublicKeys:
      c.keyMode === 'platform-cert' ? [] : [{ id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem }],
    payBase: c.baseUrl,
  };
}

async function runningSandbox(stateDir: string): Promise<SandboxCredentialsFile | undefined> {
  let creds: SandboxCredentialsFile;
  try {
    creds = JSON.parse(await readFile(path.join(stateDir, 'credentials.json'), 'utf8')) as SandboxCredentialsFile;
  } catch {
    return undefined;
  }
  try {
    const res = await fetch(new URL('/sandbox/api/transactions', creds.baseUrl), { signal: AbortSignal.timeout(1000) });
    return res.ok ? creds : undefined;
  } catch {
    return undefined;
  }
}

export async function connectSandbox(
  opts: { port: number; stateDir: string; timeScale: number; keyMode?: WechatpayKeyMode },
  logger: Logger,
): Promise<SandboxConnection> {
  const running = await runningSandbox(opts.stateDir);
  if (running) {
    logger.info({ sandbox: running.baseUrl }, 'sandbox mode: using the running WeChat Pay sandbox');
    return { url: running.baseUrl, credentials: toMerchant(running) };
  }
  const { createSandbox } = await import('@uni-checkout/wechatpay-sandbox');
  const sandbox = await createSandbox({
    port: opts.port,
    stateDir: opts.stateDir,
    timeScale: opts.timeScale,
    ...(opts.keyMode ? { keyMode: opts.keyMode } : {}),
  });
  logger.info({ sandbox: sandbox.url }, 'sandbox mode: started the WeChat Pay sandbox in-process');
  return { url: sandbox.url, credentials: toMerchant(sandbox.credentials), close: () => sandbox.close() };
}
