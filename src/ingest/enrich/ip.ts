/**
 * Client IP text as the pipeline steps read it (geo lookup, shields): an IPv4 address as a
 * number, and addresses in the spellings clients and proxies send reduced to one.
 */
import { isIP } from 'node:net';

/** A dotted-quad IPv4 address (already validated) as an unsigned 32-bit number. */
export function ipv4Number(ip: string): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return n * 256 + part;
}

/** Trims, drops `[]` and a zone id, and turns an IPv4-mapped IPv6 address into IPv4. */
export function normalizeIp(raw: string): { ip: string; family: 4 | 6 } | null {
  let ip = raw.trim();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  const dotted = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (dotted?.[1] !== undefined) ip = dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (hex?.[1] !== undefined && hex[2] !== undefined) {
    const hi = Number.parseInt(hex[1], 16);
    const lo = Number.parseInt(hex[2], 16);
    ip = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const family = isIP(ip);
  return family === 4 || family === 6 ? { ip, family } : null;
}
