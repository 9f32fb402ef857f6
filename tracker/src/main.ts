/**
 * Entry point of every tracker variant: installs `window.mallard`, starts automatic page
 * views (unless this is the manual variant), link, tagged-element and form tracking
 * (when built in), then replays the calls the snippet queued before the script loaded.
 */

import { trackForms } from './forms.js';
import { trackLinks } from './links.js';
import { autoPageviews } from './pageviews.js';
import { trackTagged } from './tags.js';
import { track } from './track.js';

const queued = window.mallard?.q;
window.mallard = track;
if (!FEATURE_MANUAL) autoPageviews(track);
if (FEATURE_OUTBOUND_LINKS || FEATURE_FILE_DOWNLOADS) trackLinks(track);
if (FEATURE_TAGGED_EVENTS) trackTagged(track);
if (FEATURE_FORM_SUBMISSIONS) trackForms(track);
queued?.map((args) => track(...args));
