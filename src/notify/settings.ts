/**
 * A site's e-mail settings (docs/API.md, "Reports and alerts"): who gets the weekly and
 * monthly reports, and the traffic alerts' thresholds and recipients. Validated here for the
 * site routes and kept by subscriptions.ts.
 */
import { z } from 'zod';

export const MAX_RECIPIENTS = 20;

export interface Reports {
  weekly: string[];
  monthly: string[];
}

export interface Alerts {
  /** Alert when the visitors now (the last 5 minutes) reach this many; null = off. */
  spike_visitors: number | null;
  /** Alert when the visitors of the last 12 hours are fewer than this; null = off. */
  drop_visitors: number | null;
  emails: string[];
}

export const NO_REPORTS: Reports = Object.freeze({ weekly: [], monthly: [] }) as Reports;
export const NO_ALERTS: Alerts = Object.freeze({ spike_visitors: null, drop_visitors: null, emails: [] }) as Alerts;

const recipients = z
  .array(z.email({ error: 'not an e-mail address' }).max(254, 'at most 254 characters'))
  .max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} addresses`)
  // Addresses are compared without case (the domain is case-insensitive; nobody relies on the local part's).
  .transform((list) => [...new Set(list.map((e) => e.toLowerCase()))]);

const threshold = z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').max(10_000_000);

export const reportsField = z
  .strictObject({ weekly: recipients.optional(), monthly: recipients.optional() })
  .transform((r): Reports => ({ weekly: r.weekly ?? [], monthly: r.monthly ?? [] }));

export const alertsField = z
  .strictObject({
    spike_visitors: threshold.nullable().optional(),
    drop_visitors: threshold.nullable().optional(),
    emails: recipients.optional(),
  })
  .transform(
    (a): Alerts => ({ spike_visitors: a.spike_visitors ?? null, drop_visitors: a.drop_visitors ?? null, emails: a.emails ?? [] }),
  )
  .refine((a) => (a.spike_visitors === null && a.drop_visitors === null) || a.emails.length > 0, {
    message: 'needed when a threshold is set',
    path: ['emails'],
  });
