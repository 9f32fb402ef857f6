/**
 * Build-time feature flags. scripts/build-tracker.mjs replaces each with `true` or `false`
 * through esbuild's `define`, and the minifier drops the dead branches, so a variant
 * carries only the code of its own extensions and the default script stays small.
 */
declare const FEATURE_FILE_DOWNLOADS: boolean;
declare const FEATURE_FORM_SUBMISSIONS: boolean;
declare const FEATURE_HASH: boolean;
declare const FEATURE_MANUAL: boolean;
declare const FEATURE_OUTBOUND_LINKS: boolean;
declare const FEATURE_PAGEVIEW_PROPS: boolean;
declare const FEATURE_TAGGED_EVENTS: boolean;
