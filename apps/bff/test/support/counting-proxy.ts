/**
 * A loopback HTTP proxy in front of the sandbox that counts the calls passing through it, by
 * method and path (query string dropped): point WECHATPAY_BASE / WECHAT_API_BASE of a BFF at it
 * to count what that BFF asks of WeChat. Bodies and headers pass unchanged (signatures verify).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  /** `GET /sns/jscode2session` → how many passed */
  counts: Map<string, number>;
  /** calls whose path starts with one of the prefixes */
  count(...prefixes: string[]): number;
  close(): Promise<void>;
}

export async function countingProxy(target: string): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const key = `${req.method} ${path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const upstream = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    count: (...prefixes) =>
      [...counts].reduce(
        (sum, [key, n]) => (prefixes.some((p) => key.split(' ')[1]!.startsWith(p)) ? sum + n : sum),
        0,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
