/**
 * Prometheus metrics. One registry per app instance (tests run several in one process).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { DROP_REASONS, type DropReason } from './ingest/event.js';

/** Buckets of background work's duration (flushes, shipments), in seconds. */
const WORK_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();
  readonly ingested = new Counter({ name: 'mallard_events_ingested_total', help: 'Events stored', registers: [this.registry] });
  readonly dropped = new Counter({
    name: 'mallard_events_dropped_total',
    help: 'Events dropped, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly flushSeconds = new Histogram({
    name: 'mallard_flush_duration_seconds',
    help: 'Time to flush the hot tier to Parquet',
    buckets: WORK_SECONDS,
    registers: [this.registry],
  });
  readonly flushedRows = new Counter({
    name: 'mallard_flushed_rows_total',
    help: 'Rows written to Parquet',
    registers: [this.registry],
  });
  readonly querySeconds = new Histogram({
    name: 'mallard_query_duration_seconds',
    help: 'Stats query time',
    labelNames: ['endpoint'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly http = new Counter({
    name: 'mallard_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });
  /** ClickHouse backend: events inserted into ClickHouse, failed shipments, shipment time. */
  readonly shippedEvents = new Counter({
    name: 'mallard_clickhouse_shipped_events_total',
    help: 'Events shipped from the write-ahead log to ClickHouse',
    registers: [this.registry],
  });
  readonly shipErrors = new Counter({
    name: 'mallard_clickhouse_insert_errors_total',
    help: 'Shipments to ClickHouse that failed (their events stay in the log and are retried)',
    registers: [this.registry],
  });
  readonly shipSeconds = new Histogram({
    name: 'mallard_clickhouse_ship_duration_seconds',
    help: 'Time to ship the log to ClickHouse',
    buckets: WORK_SECONDS,
    registers: [this.registry],
  });
  /** E-mail (src/notify): rounds of the scheduler, messages sent and failed, by kind. */
  readonly notifyRounds = new Counter({
    name: 'mallard_notify_rounds_total',
    help: 'Rounds of the report and alert scheduler',
    registers: [this.registry],
  });
  readonly notifySent = new Counter({
    name: 'mallard_notifications_sent_total',
    help: 'Reports and alerts sent, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly notifyFailed = new Counter({
    name: 'mallard_notification_failures_total',
    help: 'Reports and alerts that could not be sent (retried at the next round), by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly bufferSize: Gauge;
  readonly quarantined: Gauge;

  constructor(
    bufferSize: () => number,
    quarantined: () => number = () => 0,
    ship?: { backlog: () => number; lagSeconds: () => number },
  ) {
    if (ship) {
      new Gauge({
        name: 'mallard_clickhouse_backlog_events',
        help: 'Events acknowledged into the write-ahead log and not yet in ClickHouse',
        registers: [this.registry],
        collect() {
          this.set(ship.backlog());
        },
      });
      new Gauge({
        name: 'mallard_clickhouse_ship_lag_seconds',
        help: 'Seconds the oldest event not yet in ClickHouse has waited (0: none waits)',
        registers: [this.registry],
        collect() {
          this.set(ship.lagSeconds());
        },
      });
    }
    this.bufferSize = new Gauge({
      name: 'mallard_buffer_events',
      help: 'Events in the hot tier not yet flushed to Parquet',
      registers: [this.registry],
      collect() {
        this.set(bufferSize());
      },
    });
    // A gauge of the store's own list, so files set aside during start-up (before these metrics exist) count too.
    this.quarantined = new Gauge({
      name: 'mallard_quarantined_files',
      help: 'Damaged Parquet files moved to quarantine/ since start-up',
      registers: [this.registry],
      collect() {
        this.set(quarantined());
      },
    });
    for (const reason of DROP_REASONS) this.dropped.labels(reason).inc(0);
    collectDefaultMetrics({ register: this.registry, prefix: 'mallard_' });
  }

  drop(reason: DropReason, n = 1): void {
    this.dropped.labels(reason).inc(n);
  }
}
