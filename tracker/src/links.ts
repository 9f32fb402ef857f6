/**
 * Link clicks (outbound-links and file-downloads variants): `Outbound Link: Click` and
 * `File Download` events with the link as the `url` prop, Plausible's names. Left and
 * middle clicks count; fetch keepalive delivers the event even as the page unloads, so
 * navigation is never delayed.
 */
import { attr } from './config.js';
import { eventTag } from './tags.js';
import type { Track } from './types.js';

const DEFAULT_FILE_TYPES =
  'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg';

export function trackLinks(track: Track): void {
  const fileTypes = FEATURE_FILE_DOWNLOADS
    ? (attr('file-types') || DEFAULT_FILE_TYPES).split(',').map((t) => t.trim().toLowerCase())
    : [];
  const onClick = (e: MouseEvent): void => {
    if (e.type === 'auxclick' && e.button !== 1) return;
    const link = (e.target as Element).closest?.('a[href]') as HTMLAnchorElement | null;
    // A tagged link sends its own event (tags.ts), never a second one for the same click.
    if (!link || (FEATURE_TAGGED_EVENTS && eventTag(link))) return;
    if (FEATURE_OUTBOUND_LINKS && /^https?:$/.test(link.protocol) && link.host !== location.host) {
      track('Outbound Link: Click', { props: { url: link.href } });
      return;
    }
    const url = link.href.split(/[?#]/)[0] as string;
    if (FEATURE_FILE_DOWNLOADS && fileTypes.includes((url.split('.').pop() as string).toLowerCase())) {
      track('File Download', { props: { url } });
    }
  };
  addEventListener('click', onClick);
  addEventListener('auxclick', onClick);
}
