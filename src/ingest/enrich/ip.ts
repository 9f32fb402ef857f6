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

/**
 * Reads an IPv6 address (a zone id ignored; an embedded IPv4 tail such as
 * `64:ff9b::192.0.2.1` as its two groups) into `out`'s 8 groups, by character codes and
 * without allocating: this runs per event. False when it is not one.
 */
export function parseIpv6(ip: string, out: Uint16Array): boolean {
  let n = 0;
  let gap = -1;
  let value = 0;
  let digits = 0;
  let groupStart = 0;
  let i = 0;
  let end = ip.indexOf('%');
  if (end < 0) end = ip.length;
  if (ip.charCodeAt(0) === 58) {
    if (ip.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    groupStart = 2;
  }
  for (; i < end; i++) {
    const c = ip.charCodeAt(i);
    if (c === 58) {
      if (digits === 0) {
        if (gap >= 0 || ip.charCodeAt(i - 1) !== 58) return false;
        gap = n;
      } else {
        if (n >= 8) return false;
        out[n++] = value;
        value = 0;
        digits = 0;
      }
      groupStart = i + 1;
      continue;
    }
    if (c === 46) {
      const tail = ip.slice(groupStart, end);
      if (n > 6 || isIP(tail) !== 4) return false;
      const v4 = ipv4Number(tail);
      out[n++] = Math.floor(v4 / 65536);
      out[n++] = v4 % 65536;
      digits = -1; // the address ends here
      break;
    }
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0 || digits === 4) return false;
    value = value * 16 + d;
    digits++;
  }
  if (digits > 0) {
    if (n >= 8) return false;
    out[n++] = value;
  } else if (digits === 0 && !(gap === n && ip.charCodeAt(end - 1) === 58 && ip.charCodeAt(end - 2) === 58)) {
    return false; // ends in a single ':'
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  const moved = n - gap;
  for (let k = 1; k <= moved; k++) out[8 - k] = out[n - k] as number;
  for (let k = gap; k < 8 - moved; k++) out[k] = 0;
  return true;
}
