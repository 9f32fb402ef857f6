/**
 * How imported aggregates are stored (docs/DATA.md, "Imported data"): one metadata table per
 * table of a Plausible export, `imported_<name>`, with the export's own columns — the date,
 * the dimension columns (text) and the count columns (non-negative integers) — plus the
 * import and the site they belong to. Column names reach SQL from this list only.
 */
export const IMPORTED_TABLES = {
  visitors: { dims: [], counts: ['visitors', 'pageviews', 'bounces', 'visits', 'visit_duration'] },
  sources: {
    dims: ['source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'],
    counts: ['pageviews', 'visitors', 'visits', 'visit_duration', 'bounces'],
  },
  pages: { dims: ['hostname', 'page'], counts: ['visits', 'visitors', 'pageviews'] },
  entry_pages: { dims: ['entry_page'], counts: ['visitors', 'entrances', 'visit_duration', 'bounces', 'pageviews'] },
  exit_pages: { dims: ['exit_page'], counts: ['visitors', 'visit_duration', 'exits', 'bounces', 'pageviews'] },
  locations: { dims: ['country', 'region', 'city'], counts: ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'] },
  devices: { dims: ['device'], counts: ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'] },
  browsers: { dims: ['browser', 'browser_version'], counts: ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'] },
  operating_systems: {
    dims: ['operating_system', 'operating_system_version'],
    counts: ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
  },
  custom_events: { dims: ['name', 'link_url', 'path'], counts: ['visitors', 'events'] },
} as const satisfies Record<string, { dims: readonly string[]; counts: readonly string[] }>;

export type ImportedTable = keyof typeof IMPORTED_TABLES;
export const IMPORTED_TABLE_NAMES = Object.keys(IMPORTED_TABLES) as ImportedTable[];

/** The stored table of an export's table. */
export const storedTable = (t: ImportedTable) => `imported_${t}`;

/** Columns of an export table Plausible writes that are not kept (scroll depth has no counterpart here). */
export const IGNORED_COLUMNS: Partial<Record<ImportedTable, readonly string[]>> = {
  pages: ['scroll_depth', 'pageleave_visitors', 'time_on_page', 'exits'],
};
