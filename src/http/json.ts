/**
 * JSON bodies: a nesting limit checked before parsing. V8's JSON.parse copes with deep
 * nesting, but much of what handles a value afterwards recurses (validation, serializing
 * an error, logging), so a deeply nested body is refused with a 400 up front.
 */
import { badRequest } from './errors.js';

/** Arrays/objects nested deeper than this are refused. The deepest real body (v2 filters) needs ~15. */
export const MAX_JSON_DEPTH = 64;

/** Whether `text` nests arrays/objects deeper than `max`: one linear scan that skips strings. */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export const TOO_DEEP_MESSAGE = `body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`;

/** JSON.parse behind the nesting limit; both failures are a 400 naming the body. */
export function parseJsonBody(text: string): unknown {
  if (jsonTooDeep(text)) throw badRequest(TOO_DEEP_MESSAGE);
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('body: not valid JSON');
  }
}
