/**
 * The server secret keying visitor ids: MALLARD_SECRET, or a random one generated once
 * and persisted, so visitor ids stay stable across restarts.
 */
import { randomBytes } from 'node:crypto';
import type { Settings } from './settings.js';

export async function serverSecret(configured: string | undefined, settings: Settings): Promise<Buffer> {
  if (configured) return Buffer.from(configured, 'utf8');
  const stored = await settings.get('secret');
  if (stored) return Buffer.from(stored, 'base64');
  const fresh = randomBytes(32);
  await settings.set('secret', fresh.toString('base64'));
  return fresh;
}
