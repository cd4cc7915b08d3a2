/**
 * `POST /api/init`: decode, pick a fault, apply the command, answer — and journal it all.
 * Faults with `when: 'after'` apply the command first, so "the charge happened but the answer was
 * lost" is real: the ledger has the order, the client has no answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Command } from '../domain/codec/index.js';
import { reject, type Answer } from './answers.js';
import type { Engine } from './engine.js';
import type { Fault, Faults } from './faults.js';
import { sendJson, sendText } from './http-io.js';
import type { Journal } from './journal.js';
import { MSG } from './messages.js';

export interface GatewayRouteDeps {
  engine: Engine;
  journal: Journal;
  faults: Faults;
  /** Sockets held open by `hang`, destroyed on close. */
  hung: Set<IncomingMessage['socket']>;
  setTimeout(fn: () => void, ms: number): void;
  now(): number;
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
    journal.add({ at: deps.now(), store_uid, cmd, request: data, answer, status: 200 });
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
  const record = (answer: Answer | null, status: number | string) =>
    journal.add({ at: deps.now(), store_uid: r.store_uid, cmd: r.cmd, request: r.data, answer, status, fault: { kind: fault.kind, when: fault.when } });

  switch (fault.kind) {
    case 'latency': {
      deps.setTimeout(() => {
        const answer = engine.execute(r.store_uid, r.cmd, r.data);
        engine.stats.bump(engine.stats.answers, answer.code);
        record(answer, 200);
        if (!res.destroyed) sendJson(res, 200, answer);
      }, fault.ms ?? 1_000);
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
