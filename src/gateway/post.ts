/**
 * One POST through an undici dispatcher, with the one fact the error taxonomy needs: whether the
 * request reached a connected socket. undici calls `onRequestStart` (legacy `onConnect`) right
 * before it writes the request line (client-h1 `writeH1`), after TCP+TLS are up; with pipelining 1
 * and no retry interceptor it never re-dispatches a request. So `started === false` proves that no
 * byte of this request left the process, and anything after it may have reached the gateway.
 */
import type { Dispatcher } from 'undici';

export interface RawAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

export type TransportPhase = 'before_write' | 'after_write';
export type DeadlineKind = 'queue' | 'answer';

/** A failure with the phase it happened in; mapped to the public errors by `classify.ts`. */
export class TransportFailure extends Error {
  constructor(
    readonly phase: TransportPhase,
    readonly error: unknown,
    readonly deadline?: DeadlineKind,
    readonly tooLarge = false,
  ) {
    super('transport failure');
    this.name = 'TransportFailure';
  }
}

export interface PostRequest {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface PostLimits {
  /** Longest wait for a free connection plus connect, before the request is written. */
  queueTimeoutMs: number;
  /** Longest wait for the full answer (headers and body) once the request is being written. */
  answerTimeoutMs: number;
  maxAnswerBytes: number;
  /**
   * `performance.now()` time by which the request's first byte must be written, or it is not written
   * at all (a fenced claim's budget). Checked in `onRequestStart`, the last moment before undici
   * writes the request line; past it the request is aborted unwritten (not delivered).
   */
  writeBy?: number;
}

class DeadlineError extends Error {
  constructor(readonly deadline: DeadlineKind) {
    super(`${deadline} deadline exceeded`);
    this.name = 'DeadlineError';
  }
}

class TooLargeError extends Error {
  constructor() {
    super('answer too large');
    this.name = 'TooLargeError';
  }
}

export function postOnce(dispatcher: Dispatcher, req: PostRequest, limits: PostLimits): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    let started = false;
    let settled = false;
    let status = 0;
    let contentType = '';
    let size = 0;
    const chunks: Buffer[] = [];
    let controller: Dispatcher.DispatchController | undefined;
    let answerTimer: NodeJS.Timeout | undefined;

    const fail = (cause: unknown, deadline?: DeadlineKind, tooLarge = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(queueTimer);
      clearTimeout(answerTimer);
      reject(new TransportFailure(started ? 'after_write' : 'before_write', cause, deadline, tooLarge));
    };

    // The queue deadline cannot abort a request that has no socket yet (undici hands out a controller
    // only in onRequestStart); we settle now and abort in onRequestStart, before anything is written.
    const queueMs = limits.writeBy === undefined ? limits.queueTimeoutMs : Math.min(limits.queueTimeoutMs, limits.writeBy - performance.now());
    const queueTimer = setTimeout(() => fail(new DeadlineError('queue'), 'queue'), Math.max(0, queueMs));

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctl) {
        controller = ctl;
        if (!settled && limits.writeBy !== undefined && performance.now() > limits.writeBy) fail(new DeadlineError('queue'), 'queue');
        if (settled) {
          ctl.abort(new DeadlineError('queue'));
          return;
        }
        started = true;
        clearTimeout(queueTimer);
        answerTimer = setTimeout(() => {
          fail(new DeadlineError('answer'), 'answer');
          controller?.abort(new DeadlineError('answer'));
        }, limits.answerTimeoutMs);
      },
      onResponseStart(_ctl, statusCode, headers) {
        if (statusCode < 200) return; // 1xx: informational, the real answer follows
        status = statusCode;
        const ct = headers['content-type'];
        contentType = Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? '');
      },
      onResponseData(ctl, chunk) {
        size += chunk.length;
        if (size > limits.maxAnswerBytes) {
          fail(new TooLargeError(), undefined, true);
          ctl.abort(new TooLargeError());
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        if (settled) return;
        settled = true;
        clearTimeout(answerTimer);
        resolve({ status, contentType, body: Buffer.concat(chunks) });
      },
      onResponseError(_ctl, error) {
        fail(error);
      },
    };

    try {
      dispatcher.dispatch(
        {
          origin: req.origin,
          path: req.path,
          method: 'POST',
          headers: req.headers,
          body: req.body,
          // A POST is never replayed by undici, but say so explicitly.
          idempotent: false,
        },
        handler,
      );
    } catch (err) {
      fail(err);
    }
  });
}
