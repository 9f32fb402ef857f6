/**
 * Form submissions (form-submissions variant): every submit event on the page sends
 * `Form: Submission` with the page's `path`, Plausible's name. With tagged-events built
 * in, a tagged form sends its own event instead (tags.ts), never both.
 */
import { eventTag } from './tags.js';
import type { Track } from './types.js';

export function trackForms(track: Track): void {
  // Capture: a form's own handler stopping propagation must not hide its submit.
  addEventListener(
    'submit',
    (e) => {
      if (FEATURE_TAGGED_EVENTS && eventTag(e.target as Element)) return;
      track('Form: Submission', { props: { path: location.pathname } });
    },
    true,
  );
}
