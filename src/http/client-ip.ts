/**
 * The client's IP: the socket address, or the first X-Forwarded-For entry when the socket
 * address is a trusted proxy (MALLARD_TRUSTED_PROXIES, IPs or CIDRs).
 */
import { BlockList, isIP } from 'node:net';

const unmap = (ip: string) => (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);

/** Socket addresses whose verdict is remembered at most (a connection asks at every request). */
const MAX_VERDICTS = 4096;

/** The trusted proxies, from IPs and CIDRs; whether an (unmapped) socket address is one of them. */
export class TrustedProxies {
  private readonly list = new BlockList();
  /** Verdicts per socket address: a BlockList check allocates a socket address per call. */
  private readonly verdicts = new Map<string, boolean>();

  constructor(entries: readonly string[] = []) {
    for (const entry of entries) {
      const [addr = '', bits] = entry.split('/');
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (isIP(addr) === 0) throw new Error(`trusted_proxies: "${entry}" is not an IP or CIDR`);
      if (bits === undefined) this.list.addAddress(addr, family);
      else this.list.addSubnet(addr, Number.parseInt(bits, 10), family);
    }
  }

  has(socket: string): boolean {
    let trusted = this.verdicts.get(socket);
    if (trusted === undefined) {
      const family = isIP(socket);
      trusted = family !== 0 && this.list.check(socket, family === 6 ? 'ipv6' : 'ipv4');
      if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.clear();
      this.verdicts.set(socket, trusted);
    }
    return trusted;
  }
}

/** Whether the socket address is one of the trusted proxies (whose X-Forwarded-* headers count). */
export function fromTrustedProxy(socketAddress: string | undefined, proxies: TrustedProxies): boolean {
  return proxies.has(unmap(socketAddress ?? ''));
}

export function clientIp(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  proxies: TrustedProxies,
): string {
  const socket = unmap(socketAddress ?? '');
  if (forwardedFor !== undefined && proxies.has(socket)) {
    const header = Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor;
    const first = unmap(header?.split(',')[0]?.trim() ?? '');
    if (isIP(first) !== 0) return first;
  }
  return socket;
}
