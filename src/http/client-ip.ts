/**
 * The client's IP: the socket address, or the first X-Forwarded-For entry when the socket
 * address is a trusted proxy (MALLARD_TRUSTED_PROXIES, IPs or CIDRs).
 */
import { BlockList, isIP } from 'node:net';

export function trustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr = '', bits] = entry.split('/');
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(addr) === 0) throw new Error(`trusted_proxies: "${entry}" is not an IP or CIDR`);
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number.parseInt(bits, 10), family);
  }
  return list;
}

const unmap = (ip: string) => (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);

/** Verdicts per socket address: a connection asks at every request, and a BlockList check allocates a socket address. */
const verdicts = new WeakMap<BlockList, Map<string, boolean>>();
const MAX_VERDICTS = 4096;

/** Whether the socket address is one of the trusted proxies (whose X-Forwarded-* headers count). */
export function fromTrustedProxy(socketAddress: string | undefined, proxies: BlockList): boolean {
  const socket = unmap(socketAddress ?? '');
  let known = verdicts.get(proxies);
  if (!known) {
    known = new Map();
    verdicts.set(proxies, known);
  }
  let trusted = known.get(socket);
  if (trusted === undefined) {
    const family = isIP(socket);
    trusted = family !== 0 && proxies.check(socket, family === 6 ? 'ipv6' : 'ipv4');
    if (known.size >= MAX_VERDICTS) known.clear();
    known.set(socket, trusted);
  }
  return trusted;
}

export function clientIp(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  proxies: BlockList,
): string {
  const socket = unmap(socketAddress ?? '');
  if (forwardedFor !== undefined && fromTrustedProxy(socket, proxies)) {
    const header = Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor;
    const first = unmap(header?.split(',')[0]?.trim() ?? '');
    if (isIP(first) !== 0) return first;
  }
  return socket;
}
