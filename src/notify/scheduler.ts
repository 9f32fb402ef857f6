/**
 * The in-process scheduler of reports and alerts: every `notify_interval` seconds it looks at
 * each site with recipients, claims in the ledger what is due (the last whole week's and
 * month's reports, alerts of the current 12-hour window) and sends it. The ledger makes a
 * message go at most once, across rounds and restarts; a message the SMTP server refused is
 * given back to the ledger and tried again at the next round.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { QueryRunner } from '../storage/storage.js';
import { dueAlerts } from './alerts.js';
import type { Ledger } from './ledger.js';
import type { Mailer, Message } from './mailer.js';
import { lastWhole, type ReportKind } from './periods.js';
import { reportMessage, reportNumbers } from './report.js';
import type { Subscriptions } from './subscriptions.js';

export interface NotifierDeps {
  read: <T>(fn: (q: QueryRunner) => Promise<T>) => Promise<T>;
  subscriptions: Subscriptions;
  ledger: Ledger;
  mailer: Mailer;
  /** The site's time zone; undefined when the site is not registered (it gets nothing). */
  timezoneOf: (siteId: string) => string | null | undefined;
  metrics: Metrics;
  log: Logger;
}

const REPORTS: readonly ReportKind[] = ['weekly', 'monthly'];

export class Notifier {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(private readonly deps: NotifierDeps) {}

  /** Starts the rounds: the first now, then every `intervalMs`. */
  start(intervalMs: number): void {
    const go = () => {
      // A round still running (a slow SMTP server) is not overtaken by the next.
      this.round ??= this.tick().finally(() => {
        this.round = undefined;
      });
    };
    go();
    this.timer = setInterval(go, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
    this.deps.mailer.close();
  }

  /** One round: everything due at `now`. */
  async tick(now = new Date()): Promise<void> {
    const { subscriptions, timezoneOf, read } = this.deps;
    for (const siteId of subscriptions.sites()) {
      const tz = timezoneOf(siteId);
      if (tz === undefined) continue;
      const { reports, alerts } = subscriptions.get(siteId);
      for (const kind of REPORTS) {
        const to = reports[kind];
        if (to.length === 0) continue;
        const period = lastWhole(kind, now, tz);
        await this.once(siteId, kind, period.key, async () =>
          reportMessage(siteId, period, await read((q) => reportNumbers(q, siteId, tz, period)), to),
        );
      }
      if (alerts.emails.length > 0) {
        try {
          for (const alert of await read((q) => dueAlerts(q, siteId, alerts, now))) {
            await this.once(siteId, alert.kind, alert.window, async () => alert.message);
          }
        } catch (err) {
          this.deps.log.warn({ err, site: siteId }, 'traffic alerts could not be checked');
        }
      }
    }
    this.deps.metrics.notifyRounds.inc();
  }

  /** Sends the weekly report of the last whole week now, to `to`, outside the ledger (a test message). */
  async sendTest(siteId: string, to: readonly string[], now = new Date()): Promise<void> {
    const tz = this.deps.timezoneOf(siteId) ?? null;
    const period = lastWhole('weekly', now, tz);
    const numbers = await this.deps.read((q) => reportNumbers(q, siteId, tz, period));
    await this.deps.mailer.send(reportMessage(siteId, period, numbers, to));
    this.deps.metrics.notifySent.inc({ kind: 'test' });
  }

  private async once(siteId: string, kind: string, period: string, compose: () => Promise<Message>): Promise<void> {
    const { ledger, mailer, metrics, log } = this.deps;
    if (!(await ledger.claim(siteId, kind, period))) return;
    try {
      await mailer.send(await compose());
      metrics.notifySent.inc({ kind });
      log.info({ site: siteId, kind, period }, 'notification sent');
    } catch (err) {
      await ledger.release(siteId, kind, period);
      metrics.notifyFailed.inc({ kind });
      log.warn({ err, site: siteId, kind, period }, 'notification not sent: tried again at the next round');
    }
  }
}
