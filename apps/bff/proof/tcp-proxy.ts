/**
 * A loopback TCP proxy the proof puts between parts of the world: in front of PostgreSQL (to cut
 * the database away and give it back, or slow it down), and in front of several BFF processes (the
 * load balancer WeChat's notifications reach, round robin, skipping a process that refuses).
 */
import net from 'node:net';

export interface Target {
  host: string;
  port: number;
}

export interface TcpProxy {
  url(base: string): string;
  port: number;
  /** Drops every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  /** The backends connections go to, round robin (a BFF that was restarted comes back here). */
  setTargets(targets: Target[]): void;
  /** Delay added to every chunk sent towards the backend (a slow database), in ms. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export function targetOf(url: string): Target {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

export async function startTcpProxy(targets: Target[], opts: { latencyMs?: number } = {}): Promise<TcpProxy> {
  let backends = [...targets];
  let next = 0;
  let cut = false;
  let latencyMs = opts.latencyMs ?? 0;
  const open = new Set<net.Socket>();

  const track = (s: net.Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
  };

  /** Connects to the next backend that accepts, trying each at most once. */
  const connect = (tried = 0): Promise<net.Socket | undefined> =>
    new Promise((resolve) => {
      if (tried >= backends.length) return resolve(undefined);
      const target = backends[next++ % backends.length]!;
      const upstream = net.connect(target.port, target.host);
      upstream.once('connect', () => resolve(upstream));
      upstream.once('error', () => {
        upstream.destroy();
        void connect(tried + 1).then(resolve);
      });
    });

  const server = net.createServer((client) => {
    track(client);
    if (cut) return client.destroy();
    client.pause();
    void connect().then((upstream) => {
      if (!upstream || cut || client.destroyed) {
        upstream?.destroy();
        return client.destroy();
      }
      track(upstream);
      // chunks keep their order: each is written no earlier than the one before it
      let due = 0;
      client.on('data', (chunk) => {
        if (latencyMs <= 0 && due <= Date.now()) return void upstream.write(chunk);
        due = Math.max(due, Date.now() + latencyMs);
        setTimeout(() => upstream.writable && upstream.write(chunk), due - Date.now());
      });
      upstream.pipe(client);
      client.on('end', () => upstream.end());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url(base) {
      const u = new URL(base);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString().replace(/\/$/, '');
    },
    cut() {
      cut = true;
      for (const s of open) s.destroy();
    },
    restore() {
      cut = false;
    },
    setTargets(t) {
      backends = [...t];
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
