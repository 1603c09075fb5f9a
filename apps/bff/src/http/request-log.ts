import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

declare module 'http' {
  interface IncomingMessage {
    /** X-Request-Id: the client's when it is a plain token, else a new UUID */
    id: string;
    /** the request's logger: every line carries reqId */
    log: Logger;
  }
}

type Level = 'error' | 'info' | 'debug';

/** 5xx is an error; 4xx is worth an info line; a success is debug (the route logs what matters). */
function levelFor(res: ServerResponse): Level {
  return res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug';
}

const REQUEST_ID = /^[\w-]{1,64}$/;

function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Per request: the request id (answered as X-Request-Id), `req.log`, the line a request leaves
 * when it ends (`request completed` / `request aborted` / `request errored`, with req, res and
 * responseTime — the shape pino-http wrote), and the duration histogram.
 *
 * pino-http made two child loggers for every request up front (one of them serialising the whole
 * request), and redaction runs on every binding and field: on WeChat Pay's notifications, the
 * busiest routes, that was several times the cost of the one line they log. Here `req.log` is a
 * child made on first use, and the closing line is built only when its level is enabled.
 */
export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = Date.now();
    const id = requestId(req);
    req.id = id;
    res.setHeader('X-Request-Id', id);
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      enumerable: true,
      get: () => (child ??= logger.child({ reqId: id })),
      set: (value: Logger) => {
        child = value;
      },
    });
    const end = metrics.httpDuration.startTimer({ method: req.method });
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      res.off('finish', finished);
      res.off('close', finished);
      const route =
        (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other');
      end({ route, status: String(res.statusCode) });
      const level = levelFor(res);
      if (!logger.isLevelEnabled(level)) return;
      const fields = {
        req: { id, method: req.method, url: req.originalUrl || req.url },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
      };
      if (res.statusCode >= 500)
        req.log[level]({ ...fields, err: new Error(`failed with status code ${res.statusCode}`) }, 'request errored');
      else req.log[level](fields, !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted');
    };
    res.on('finish', finished);
    res.on('close', finished);
    next();
  };
}
