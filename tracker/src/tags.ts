/**
 * Tagged events (tagged-events variant), Plausible's class syntax: a link, button or form
 * with the class `mallard-event-name=Signup+Click` (or `plausible-event-name=…`) sends
 * `Signup Click` when clicked (a form: when submitted); `mallard-event-<key>=<value>`
 * classes are its props (`+` is a space; `--` may stand for `=`, for tools that refuse `=`
 * in class names). A tagged link also gets its `url` prop, as in Plausible. Left and middle
 * clicks count; fetch keepalive delivers the event even as a click leaves the page.
 */
import type { Track } from './types.js';

const CLASS = /^(?:mallard|plausible)-event-(.+?)(?:=|--)(.+)$/;

export interface Tag {
  name: string;
  props: Record<string, string>;
}

/** The event an element's classes name, or null when it has no `…-event-name` class. */
export function eventTag(el: Element): Tag | null {
  let name: string | undefined;
  const props: Record<string, string> = {};
  for (const cls of Array.from(el.classList)) {
    const m = CLASS.exec(cls);
    if (!m) continue;
    const value = (m[2] as string).replace(/\+/g, ' ');
    if (m[1] === 'name') name = value;
    else props[m[1] as string] = value;
  }
  return name ? { name, props } : null;
}

export function trackTagged(track: Track): void {
  const onClick = (e: MouseEvent): void => {
    if (e.type === 'auxclick' && e.button !== 1) return;
    const el = (e.target as Element).closest?.('a,button');
    // A click inside a form counts through the form's submit, as in Plausible.
    if (!el || el.closest('form')) return;
    const tag = eventTag(el);
    if (!tag) return;
    if (el instanceof HTMLAnchorElement && el.href) tag.props.url = el.href;
    track(tag.name, { props: tag.props });
  };
  addEventListener('click', onClick);
  addEventListener('auxclick', onClick);
  // Capture: a form's own handler stopping propagation must not hide its submit.
  addEventListener(
    'submit',
    (e) => {
      const tag = eventTag(e.target as Element);
      if (tag) track(tag.name, { props: tag.props });
    },
    true,
  );
}
