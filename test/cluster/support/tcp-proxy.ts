/**
 * A loopback TCP proxy in front of one Redis port, to take a single process's Redis link down on cue:
 * `cut()` resets every connection and refuses new ones until `restore()`; `stall()` holds every byte
 * both ways until `restore()` delivers them (a silent partition). The nemesis' link proxy
 * (nemesis/proxy.ts) is exactly this plus claim triggers; the cluster tests use it as is.
 */
export { startRedisLinkProxy as startTcpProxy, type RedisLinkProxy as TcpProxy } from '../../../nemesis/proxy.js';
