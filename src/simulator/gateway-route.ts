/**
 * `POST /api/init`: decode, pick a fault, apply the command, answer — and journal it all.
 * Faults with `when: 'after'` apply the command first, so "the charge happened but the answer was
 * lost" is real: the ledger has the order, the client has no answer. `late` goes further: the client
 * gets nothing, and the command is applied `ms` later, whether or not the client is still there.
 *
 * Journal entries of charges and refunds carry `acted`: whether the gateway created the order / refund.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Command } from '../domain/codec/index.js';
import { reject, type Answer } from './answers.js';
import { actedOn, type Engine } from './engine.js';
import { DEFAULT_LATE_MS, type Fault, type Faults } from './faults.js';
import { sendJson, sendText } from './http-io.js';
import type { Journal, JournalEntry } from './journal.js';
import { MSG } from './messages.js';

export interface GatewayRouteDeps {
  engine: Engine;
  journal: Journal;
  faults: Faults;
  /** Sockets held open by `hang`, destroyed on close. */
  hung: Set<IncomingMessage['socket']>;
  /** Sockets held open by `late` until their command is applied; destroyed on reset and close. */
  late: Set<IncomingMessage['socket']>;
  setTimeout(fn: () => void, ms: number): void;
  now(): number;
}

/** A journal entry, with `acted` for charges and refunds. */
function entry(
  deps: GatewayRouteDeps,
  r: { store_uid: string; cmd: string; data: unknown },
  answer: Answer | null,
  status: number | string,
  fault?: Fault,
): Omit<JournalEntry, 'seq'> {
  const e: Omit<JournalEntry, 'seq'> = { at: deps.now(), store_uid: r.store_uid, cmd: r.cmd, request: r.data, answer, status };
  if (fault) e.fault = { kind: fault.kind, when: fault.when };
  const acted = actedOn(r.cmd, answer);
  if (acted !== undefined) e.acted = acted;
  return e;
}

const BAD_GATEWAY = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

export function handleInit(deps: GatewayRouteDeps, req: IncomingMessage, res: ServerResponse, body: string): void {
  const { engine, journal } = deps;
  const stats = engine.stats;
  const decoded = engine.decode(body, req.headers['content-type'] ?? '');
  if (!decoded.ok) {
    stats.bump(stats.requests, 'undecodable');
    stats.bump(stats.answers, decoded.answer.code);
    journal.add({ at: deps.now(), store_uid: decoded.store_uid, cmd: '-', request: null, answer: decoded.answer, status: 200 });
    sendJson(res, 200, decoded.answer);
    return;
  }
  const { store_uid, cmd, data } = decoded;
  stats.bump(stats.requests, cmd);
  const device = typeof data.device_name === 'string' ? data.device_name : undefined;
  const fault = deps.faults.active ? deps.faults.pick({ cmd, store_uid, device_name: device }) : undefined;
  if (!fault) {
    const answer = engine.execute(store_uid, cmd, data);
    stats.bump(stats.answers, answer.code);
    journal.add(entry(deps, decoded, answer, 200));
    sendJson(res, 200, answer);
    return;
  }
  stats.bump(stats.faults, fault.kind);
  applyFault(deps, fault, req, res, { store_uid, cmd, data, device });
}

function applyFault(
  deps: GatewayRouteDeps,
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  r: { store_uid: string; cmd: Command; data: Record<string, unknown>; device: string | undefined },
): void {
  const { engine, journal } = deps;
  const record = (answer: Answer | null, status: number | string) => journal.add(entry(deps, r, answer, status, fault));
  /** Applies the command now and journals it as answered. */
  const applyAnswered = (): Answer => {
    const answer = engine.execute(r.store_uid, r.cmd, r.data);
    engine.stats.bump(engine.stats.answers, answer.code);
    record(answer, 200);
    return answer;
  };
  const answerIfStillThere = (answer: Answer) => {
    if (!res.destroyed) sendJson(res, 200, answer);
  };

  switch (fault.kind) {
    case 'latency': {
      const ms = fault.ms ?? 1_000;
      if (fault.when === 'after') {
        // Applied at once (the terminal starts now), only the answer is slow.
        const answer = applyAnswered();
        deps.setTimeout(() => answerIfStillThere(answer), ms);
      } else {
        deps.setTimeout(() => answerIfStillThere(applyAnswered()), ms);
      }
      return;
    }
    case 'late': {
      // No answer ever: hold the socket (as hang does) and apply the command `ms` later, even when
      // the client has given up by then; the socket is dropped once the command is applied.
      const socket = req.socket;
      deps.late.add(socket);
      socket.once('close', () => deps.late.delete(socket));
      engine.stats.late.pending++;
      deps.setTimeout(() => {
        engine.stats.late.pending--;
        engine.stats.late.applied++;
        record(engine.execute(r.store_uid, r.cmd, r.data), 'late');
        deps.late.delete(socket);
        socket.destroy();
      }, fault.ms ?? DEFAULT_LATE_MS);
      return;
    }
    case 'offline': {
      const answer = reject(MSG.offline(r.device ?? ''));
      engine.stats.bump(engine.stats.answers, answer.code);
      record(answer, 200);
      sendJson(res, 200, answer);
      return;
    }
  }
  const answer = fault.when === 'after' ? engine.execute(r.store_uid, r.cmd, r.data) : null;
  record(answer, fault.kind);
  switch (fault.kind) {
    case 'hang': {
      const socket = req.socket;
      deps.hung.add(socket);
      socket.once('close', () => deps.hung.delete(socket));
      if (fault.ms !== undefined) deps.setTimeout(() => socket.destroy(), fault.ms);
      return;
    }
    case 'http5xx':
      sendText(res, fault.status, BAD_GATEWAY, 'text/html');
      return;
    case 'reset':
      resetSocket(req.socket);
      return;
    case 'malformed': {
      const full = JSON.stringify(answer ?? { code: 'B200', msg: MSG.ok });
      sendText(res, 200, full.slice(0, Math.max(1, Math.floor(full.length / 2))), 'application/json; charset=utf-8');
      return;
    }
  }
}

/**
 * A TCP RST, not a clean FIN: what a crashed proxy or a dropped connection looks like. A TLS socket
 * wraps the TCP socket (`_parent`), and only the TCP handle can be reset.
 */
function resetSocket(socket: Socket): void {
  const tcp = (socket as Socket & { _parent?: Socket })._parent ?? socket;
  try {
    tcp.resetAndDestroy();
  } catch {
    tcp.destroy();
  }
  socket.destroy();
}
