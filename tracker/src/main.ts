/**
 * Entry point of every tracker variant: installs `window.mallard`, starts automatic page
 * views (unless this is the manual variant) and link tracking (when built in), then
 * replays the calls the snippet queued before the script loaded.
 */
import { trackLinks } from './links.js';
import { autoPageviews } from './pageviews.js';
import { track } from './track.js';

const queued = window.mallard?.q ?? [];
window.mallard = track;
if (!FEATURE_MANUAL) autoPageviews(track);
if (FEATURE_OUTBOUND_LINKS || FEATURE_FILE_DOWNLOADS) trackLinks(track);
for (const args of queued) track(...args);
