/**
 * User-Agent enrichment: browser, OS and a coarse device class for the event row.
 *
 * Why it exists: the full User-Agent is never stored (docs/DATA.md §1), so the few
 * dimensions the dashboard shows are extracted at ingest. Names are normalized the
 * way Plausible shows them ("Mobile Safari" → "Safari", "Mac OS" → "Mac", …) so
 * that one browser is one row in a breakdown. Parsing is slow compared to the rest
 * of the pipeline and real traffic repeats a few hundred UAs, so results are
 * memoized in a bounded cache.
 */
import { UAParser } from 'ua-parser-js';
import { memoize } from './memoize.js';

export interface UserAgentInfo {
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  uaDevice: 'Mobile' | 'Tablet' | 'Desktop' | null;
}

/** ua-parser-js browser names → the name shown in the dashboard. Others pass through. */
const BROWSER_NAMES: ReadonlyMap<string, string> = new Map([
  ['Mobile Safari', 'Safari'],
  ['Safari Mobile', 'Safari'],
  ['Chrome Mobile', 'Chrome'],
  ['Mobile Chrome', 'Chrome'],
  ['Chrome WebView', 'Chrome'],
  ['Chrome Headless', 'Chrome'],
  ['Mobile Firefox', 'Firefox'],
  ['Firefox Mobile', 'Firefox'],
  ['Edge', 'Microsoft Edge'],
  ['IE', 'Internet Explorer'],
  ['IEMobile', 'Internet Explorer'],
  ['Opera Mini', 'Opera'],
  ['Opera Mobi', 'Opera'],
  ['Opera Touch', 'Opera'],
  ['Opera GX', 'Opera'],
  ['Samsung Internet', 'Samsung Browser'],
  ['Yandex', 'Yandex Browser'],
  ['UCBrowser', 'UC Browser'],
  ['GSA', 'Google App'],
]);

/**
 * ua-parser-js OS names → the name shown in the dashboard. Others pass through. The names
 * are the ones Plausible reports (its parser names an OS `Mac`, `GNU/Linux`, `Ubuntu`, …),
 * so a Plausible filter such as `["is", "visit:os", ["Mac"]]` means the same here, and
 * imported Plausible data lines up with our own rows (docs/DATA.md §6).
 */
const OS_NAMES: ReadonlyMap<string, string> = new Map([
  ['Mac OS', 'Mac'],
  ['Chromium OS', 'Chrome OS'],
  ['Linux', 'GNU/Linux'],
  ['GNU', 'GNU/Linux'],
  ['Linpus', 'GNU/Linux'],
  ['Manjaro', 'GNU/Linux'],
  ['elementary OS', 'GNU/Linux'],
  ['Arch', 'Arch Linux'],
  ['RedHat', 'Red Hat'],
  ['openSUSE', 'SUSE'],
  ['BlackBerry', 'BlackBerry OS'],
  ['Symbian', 'Symbian OS'],
  ['KAIOS', 'KaiOS'],
  ['Sailfish', 'Sailfish OS'],
  ['Haiku', 'Haiku OS'],
  ['Android-x86', 'Android'],
]);

const EMPTY: UserAgentInfo = Object.freeze({
  browser: null,
  browserVersion: null,
  os: null,
  osVersion: null,
  uaDevice: null,
});

function blankToNull(s: string | undefined): string | null {
  const t = s?.trim();
  return t ? t : null;
}

/**
 * "120.0.6099.144" → "120.0", "120" → "120" (as Plausible keeps it: the first two parts, not
 * padded); null when not numeric.
 */
export function majorMinor(version: string | undefined): string | null {
  const m = version ? /^(\d+)(?:\.(\d+))?/.exec(version.trim()) : null;
  if (!m) return null;
  return m[2] === undefined ? (m[1] ?? null) : `${m[1]}.${m[2]}`;
}

/** "10.15.7" → "10.15", "10" → "10", "XP" → "XP": the first two dot-separated parts, unpadded. */
function majorMinorAsIs(version: string | undefined): string | null {
  const v = blankToNull(version);
  return v === null ? null : v.split('.').slice(0, 2).join('.');
}

function parse(ua: string): UserAgentInfo {
  const r = new UAParser(ua).getResult();
  const rawBrowser = blankToNull(r.browser.name);
  const browser = rawBrowser === null ? null : (BROWSER_NAMES.get(rawBrowser) ?? rawBrowser);
  const rawOs = blankToNull(r.os.name);
  const os = rawOs === null ? null : (OS_NAMES.get(rawOs) ?? rawOs);
  // Plain "Linux" carries no version worth showing; the others keep major.minor, as Plausible does.
  const osVersion = os === 'GNU/Linux' ? null : majorMinorAsIs(r.os.version);
  const type = r.device.type;
  const uaDevice = type === 'mobile' ? 'Mobile' : type === 'tablet' ? 'Tablet' : 'Desktop';
  return Object.freeze({
    browser,
    browserVersion: browser === null ? null : majorMinor(r.browser.version),
    os,
    osVersion: os === null ? null : osVersion,
    uaDevice,
  });
}

/**
 * Parses a User-Agent. Empty or whitespace-only input gives all nulls. The returned
 * object is frozen and shared between calls with the same UA; do not mutate it.
 */
export function parseUserAgent(ua: string): UserAgentInfo {
  if (ua.trim() === '') return EMPTY;
  return parseMemo(ua);
}

const parseMemo = memoize(parse);
