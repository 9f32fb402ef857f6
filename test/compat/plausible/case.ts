/**
 * One case taken from Plausible's own Stats API v2 tests, in a form our suite can replay.
 *
 * The fixture keeps Plausible's factory fields as they are written in the source test
 * (`build(:pageview, referrer_source: "Google", user_id: 1, timestamp: ~N[...])`): the
 * translation into what we ingest (URL, referrer, User-Agent, IP address, timestamp through
 * `POST /api/events`) happens in one place, translate.ts, so a reader can compare a case with
 * its source line by line and a translation mistake is fixed once.
 */

/** Where a case comes from: the file and test name in plausible/analytics, at a commit. */
export interface Source {
  /** Path in plausible/analytics, e.g. `test/plausible_web/controllers/api/external_stats_controller/query_test.exs`. */
  file: string;
  /** The `test "..."` name, with any `describe` prefix: `describe › test`. */
  test: string;
  /** The commit the case was read at (40 hex digits). */
  commit: string;
}

/**
 * A Plausible factory row (`:pageview`, `:event`, `:engagement`), with the field names of
 * the source. `timestamp` is the NaiveDateTime as written (`2021-01-01 00:00:00`, UTC).
 */
export interface PlausibleEvent {
  /** `:pageview` → `pageview`, `:event, name: "Signup"` → `Signup`, `:engagement` → `engagement`. */
  name: string;
  timestamp: string;
  user_id?: number;
  pathname?: string;
  hostname?: string;
  referrer_source?: string;
  referrer?: string;
  click_id_param?: string;
  utm_medium?: string;
  utm_source?: string;
  utm_campaign?: string;
  utm_content?: string;
  utm_term?: string;
  browser?: string;
  browser_version?: string;
  operating_system?: string;
  operating_system_version?: string;
  screen_size?: string;
  country_code?: string;
  subdivision1_code?: string;
  city_geoname_id?: number;
  /** Custom properties: `"meta.key": ["author"], "meta.value": ["Uku"]`, zipped. */
  props?: Record<string, string>;
  revenue_reporting_amount?: string;
  revenue_reporting_currency?: string;
  /** `:engagement` rows: Plausible's `engagement_time` (ms) and `scroll_depth` (%). */
  engagement_time?: number;
  scroll_depth?: number;
}

/** A goal as the source inserts it (`insert(:goal, event_name: …)` / `page_path: …`). */
export type PlausibleGoal =
  | { event_name: string; currency?: string; display_name?: string }
  | { page_path: string; display_name?: string };

/** The tables of a Plausible CE export, as the `imported_<table>` factories name them. */
export type PlausibleImportedTable =
  | 'visitors'
  | 'sources'
  | 'pages'
  | 'entry_pages'
  | 'exit_pages'
  | 'locations'
  | 'devices'
  | 'browsers'
  | 'operating_systems'
  | 'custom_events';

/**
 * A Plausible `build(:imported_<table>, …)` row, with the fields as written: `table` without
 * the `imported_` prefix, `date` as `YYYY-MM-DD` (absent: the factory's today). The factory's
 * defaults for the fields left out are applied by translate-imported.ts.
 */
export interface PlausibleImportedRow {
  table: PlausibleImportedTable;
  date?: string;
  [field: string]: string | number | undefined;
}

/** The site import the rows belong to (`insert(:site_import, …)` / `:create_site_import`). */
export interface PlausibleSiteImport {
  /** `YYYY-MM-DD`, or `today-<n>` for the source's `Date.add(Date.utc_today(), -n)`. Absent: the factory's 2005-01-01 and today. */
  start_date?: string;
  end_date?: string;
  rows: PlausibleImportedRow[];
}

export interface Fixture {
  events: PlausibleEvent[];
  goals?: PlausibleGoal[];
  /** The site's IANA zone when the source sets one (default UTC). */
  timezone?: string;
  /** Imported data (a Plausible CE export), uploaded as the export's CSV tables (translate-imported.ts). */
  imported?: PlausibleSiteImport;
  /**
   * Saved segments (`insert(:segment, …)`), created through the segments API; the query's
   * `["is", "segment", [id]]` then names ours in place of the source's integer id.
   */
  segments?: { id: number; filters: unknown[] }[];
}

/** What the source asserts: the whole answer's `results` (and `meta` where asserted), or an error. */
export type Expected = { status: 200; results: unknown[]; meta?: Record<string, unknown> } | { status: 400; error: string };

/**
 * How our answer relates to Plausible's for this case:
 * - `same`: ours equals `expect` (asserted);
 * - `differs`: a documented, deliberate difference — `ours` is asserted, `why` names the row
 *   of docs/PLAUSIBLE-COMPAT.md that explains it;
 * - `pending`: the feature is missing here; `why` says which. Not run, listed in the report;
 * - `fails`: a difference not yet mended nor documented; `why` names it. Run as a test that
 *   must fail (`it.fails`), so mending it turns the case red until its verdict says `same`.
 */
export type Verdict =
  | { kind: 'same' }
  | { kind: 'differs'; ours: Expected; why: string }
  | { kind: 'pending'; why: string }
  | { kind: 'fails'; why: string };

export interface PortedCase {
  source: Source;
  fixture: Fixture;
  /** The v2 query body without `site_id` (the runner adds the test site's id). */
  query: Record<string, unknown>;
  expect: Expected;
  verdict: Verdict;
}
