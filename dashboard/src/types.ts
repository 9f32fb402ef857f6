/** Shapes of the API answers the dashboard reads (docs/API.md). */

export interface MainStats {
  unique_visitors: number;
  visits: number;
  total_pageviews: number;
  views_per_visit: number;
  bounce_rate: number;
  avg_visit_duration_secs: number;
  events: number;
}

/** An import of a site's data (GET /api/sites/:id/imports). */
export interface SiteImport {
  id: string;
  source: string;
  start_date: string;
  end_date: string;
  created_at: string;
  file_count: number;
  row_count: number;
}

/** What the main stats say about imported data: included, or why not (absent: none in the period). */
export interface ImportsNote {
  included: boolean;
  skip_reason?: string;
  warning?: string;
  imports: { source: string; start_date: string; end_date: string }[];
}

export interface MainAnswer extends MainStats {
  imports?: ImportsNote;
  /** Filtered to revenue goals of one currency: their revenue in it. */
  currency?: string;
  total_revenue?: number;
  average_revenue?: number | null;
  previous?: MainStats & { total_revenue?: number; average_revenue?: number | null };
  change?: Partial<Record<keyof MainStats | 'total_revenue' | 'average_revenue', number | null>>;
}

export interface Bucket {
  date: string;
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  visit_duration: number;
  /** When comparing: the comparison's bucket at the same position (null past its end). */
  previous?: Bucket | null;
  change?: Partial<Record<keyof Bucket, number | null>>;
}

export interface BreakdownRow {
  value: string;
  visitors: number;
  visits?: number;
  pageviews?: number;
  bounce_rate?: number;
  visit_duration?: number;
  percentage?: number;
  /** Pages only: seconds and percent, null where no visitor reported them. */
  time_on_page?: number | null;
  scroll_depth?: number | null;
  /** Goals only. */
  events?: number;
  conversion_rate?: number;
  /** Revenue goals only: the goal's currency and the revenue in it. */
  currency?: string;
  total_revenue?: number;
  average_revenue?: number | null;
  /** When comparing: the same value's numbers in the comparison, and the changes. */
  previous?: Omit<BreakdownRow, 'value' | 'previous' | 'change'>;
  change?: Partial<
    Record<
      'visitors' | 'visits' | 'pageviews' | 'bounce_rate' | 'visit_duration' | 'percentage' | 'events' | 'conversion_rate',
      number | null
    >
  >;
}

export interface AuthStatus {
  setup_required: boolean;
  authenticated: boolean;
}

export type Role = 'viewer' | 'admin' | 'owner';

/** GET /api/auth/me: who is signed in and their role on each site (the super-admin owns every site). */
export interface Me {
  id: string;
  email: string | null;
  super_admin: boolean;
  sites: { site_id: string; role: Role }[];
}

export interface User {
  id: string;
  email: string | null;
  super_admin: boolean;
  created_at: string;
}

export interface Member {
  user_id: string;
  email: string | null;
  role: Role;
  site_id: string;
  created_at: string;
}

/** GET /api/invitations/{token}. */
export interface InvitationInfo {
  site_id: string;
  email: string;
  role: Role;
  expires_at: string;
  existing_user: boolean;
}

/** GET /api/unregistered-sites: a site that has stored events but is not registered. */
export interface UnregisteredSite {
  id: string;
  events: number;
  last_seen: string;
}

export interface Site {
  id: string;
  origins: string[];
  timezone?: string | null;
  rate_limit?: number | null;
  /** The secret itself is never returned. */
  signing_secret_set?: boolean;
  /** Traffic the site excludes (set over the API; docs/API.md "Shields"). */
  shields?: { ips: string[]; countries: string[]; pages: string[]; hostnames: string[] };
  /** E-mail reports and traffic alerts (docs/API.md "Reports and alerts"). */
  reports?: { weekly: string[]; monthly: string[] };
  alerts?: { spike_visitors: number | null; drop_visitors: number | null; emails: string[] };
  /** Made by `mallard-metrics demo`: generated traffic, not real. */
  demo?: boolean;
  created_at?: string;
}

export interface Goal {
  id: string;
  event_name: string | null;
  page_path: string | null;
  display_name: string;
  currency: string | null;
}

export interface ShareLink {
  id: string;
  label: string | null;
  created_at: string;
  /** Only in the answer that created it. */
  token?: string;
  url?: string;
}

export interface ApiKey {
  id: string;
  name: string;
  scope: 'read' | 'ingest' | 'admin';
  sites: string[] | null;
  created_at: string;
  last_used_at: string | null;
  /** Only in the answer that created it. */
  key?: string;
}

export interface FunnelStep {
  step: number;
  label: string;
  visitors: number;
  conversion_rate: number;
  dropoff: number;
  dropoff_rate: number;
}

export interface Cohort {
  cohort_date: string;
  size: number;
  retained: (number | null)[];
  rate: (number | null)[];
}

export interface Retention {
  interval: 'day' | 'week' | 'month';
  periods: number;
  identified_visitors: number;
  anonymous_visitors: number;
  note?: string | null;
  cohorts: Cohort[];
}

export interface FlowNode {
  next_page: string;
  visitors: number;
  children?: FlowNode[];
}

export interface Sessions {
  total_sessions: number;
  avg_session_duration_secs: number;
  avg_pages_per_session: number;
  bounce_rate: number;
  gap_secs: number;
}

export interface Sequence {
  pattern: string;
  converting_visitors: number;
  total_visitors: number;
  conversion_rate: number;
  sequence_count: number;
}

/** A saved filter set of a site (`/api/sites/:id/segments`). */
export interface Segment {
  id: string;
  name: string;
  filters: unknown[][];
}

/** An import uploaded from the dashboard (GET /api/sites/{id}/imports/jobs/{jobId}). */
export interface ImportJob {
  job_id: string;
  state: 'reading' | 'validating' | 'importing' | 'done' | 'failed';
  records_read: number;
  accepted: number;
  rejected: Record<string, number>;
  errors: { line: number; error: string }[];
  bytes_total: number;
  bytes_done: number;
  imported: number;
  error: string | null;
}
