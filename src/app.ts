/**
 * Composition root: picks the storage backend, wires ingestion, queries, auth and HTTP,
 * and owns the flush timer and shutdown order.
 */

import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeys } from './auth/api-keys.js';
import { Invitations } from './auth/invitations.js';
import { LoginLockout } from './auth/lockout.js';
import { AdminPassword } from './auth/password.js';
import { serverSecret } from './auth/secret.js';
import { SessionStore } from './auth/sessions.js';
import { Settings } from './auth/settings.js';
import { TwoFactor } from './auth/totp.js';
import { Users } from './auth/users.js';
import { type Config, clickhouseConnection } from './config.js';
import { conflict } from './errors.js';
import { AuthGuard } from './http/auth-guard.js';
import { clientIp, TrustedProxies } from './http/client-ip.js';
import { authRoutes, authStatus } from './http/routes/auth.js';
import { backupRoutes } from './http/routes/backup.js';
import { behavioralRoutes } from './http/routes/behavioral.js';
import { dashboardRoutes } from './http/routes/dashboard.js';
import { demoRoutes } from './http/routes/demo.js';
import { exportRoutes } from './http/routes/export.js';
import { goalRoutes } from './http/routes/goals.js';
import { healthRoutes } from './http/routes/health.js';
import { importUploadRoutes } from './http/routes/import-upload.js';
import { importRoutes } from './http/routes/imports.js';
import { ingestRoutes } from './http/routes/ingest.js';
import { propertyKeysRoutes } from './http/routes/property-keys.js';
import { queryV2Routes } from './http/routes/query-v2.js';
import { reportRoutes } from './http/routes/reports.js';
import { segmentRoutes } from './http/routes/segments.js';
import { siteActivityRoutes } from './http/routes/site-activity.js';
import { siteRoutes } from './http/routes/sites.js';
import { statsRoutes } from './http/routes/stats.js';
import { trackerRoutes } from './http/routes/tracker.js';
import { userRoutes } from './http/routes/users.js';
import { requestProtocol, serverOrigin } from './http/security.js';
import { createServer } from './http/server.js';
import { GeoLookup } from './ingest/enrich/geo.js';
import { shieldRules } from './ingest/guards/shields.js';
import { ImportJobs } from './ingest/import/upload-jobs.js';
import { Metrics } from './metrics.js';
import { Ledger } from './notify/ledger.js';
import { smtpMailer } from './notify/mailer.js';
import { Notifier } from './notify/scheduler.js';
import { Subscriptions } from './notify/subscriptions.js';
import { derivedTables } from './query/derived-tables.js';
import { GoalStore } from './sites/goals.js';
import { SiteImports } from './sites/imports.js';
import { Members } from './sites/members.js';
import { applyConfiguredSites, SiteRegistry } from './sites/registry.js';
import { Segments } from './sites/segments.js';
import { ClickHouseEventStore } from './storage/clickhouse/event-store.js';
import { createBackup } from './storage/duckdb/backup.js';
import { DuckDbEventStore } from './storage/duckdb/event-store.js';

export interface App {
  server: FastifyInstance;
  store: DuckDbEventStore | ClickHouseEventStore;
  /** The bound address, e.g. http://127.0.0.1:8000 */
  url: string;
  close(): Promise<void>;
}

export async function startApp(config: Config, log: Logger, opts: { newMetadata?: boolean } = {}): Promise<App> {
  const proxies = new TrustedProxies(config.trusted_proxies);
  mkdirSync(config.data_dir, { recursive: true });
  let metrics: Metrics | null = null;
  const store =
    config.storage === 'clickhouse'
      ? await openClickHouse(config, log, opts, () => metrics)
      : await DuckDbEventStore.open({
          dataDir: config.data_dir,
          newMetadata: opts.newMetadata,
          walFsync: config.wal_fsync,
          sessionTimeoutSecs: config.session_timeout,
          compactMinFiles: config.compact_min_files,
          retentionDays: config.retention_days,
          flushCount: config.flush_count,
          log,
          derived: config.rollups ? derivedTables : undefined,
          deriveQuietMs: config.rollup_delay * 1000,
          limits: { memoryLimit: config.duckdb_memory_limit, threads: config.duckdb_threads },
          onFlush: (r) => {
            metrics?.flushSeconds.observe(r.ms / 1000);
            metrics?.flushedRows.inc(r.rows);
          },
        });
  metrics = new Metrics(
    () => store.hotPending,
    () => (store instanceof DuckDbEventStore ? store.quarantine.files.length : 0),
    store instanceof ClickHouseEventStore
      ? { backlog: () => store.hotPending, lagSeconds: () => store.shipLagSeconds }
      : undefined,
  );
  const m = metrics;

  const settings = new Settings(store.db);
  const users = await Users.open(store.db);
  const members = await Members.open(store.db);
  const invitations = new Invitations(store.db, config.invitation_ttl_secs * 1000);
  const password = new AdminPassword(users);
  if (config.admin_password) await password.set(config.admin_password);
  const keys = new ApiKeys(store.db);
  const sessions = new SessionStore();
  const sites = await SiteRegistry.open(store.db);
  await applyConfiguredSites(sites, config.sites);
  const goals = await GoalStore.open(store.db);
  const segments = new Segments(store.db);
  const subscriptions = await Subscriptions.open(store.db);
  // Reports, alerts and invitation e-mails need an SMTP server; without one they are kept but never sent.
  const mailer = config.smtp_url ? smtpMailer(config.smtp_url, config.smtp_from) : undefined;
  const notifier = mailer
    ? new Notifier({
        read: (fn) => store.read(fn),
        subscriptions,
        ledger: new Ledger(store.db),
        mailer,
        timezoneOf: (id) => (sites.has(id) ? (sites.get(id)?.timezone ?? null) : undefined),
        metrics: m,
        log,
      })
    : undefined;
  const imports = new SiteImports(store.db);
  const guard = new AuthGuard({ sessions, keys, shares: sites, users, members });
  const geo = await GeoLookup.open(config.geoip_db);

  const secret = await serverSecret(config.secret, settings);

  const server = createServer(log, m, { trustedProxies: proxies });
  await server.register(async (scope) =>
    ingestRoutes(scope, {
      pipeline: {
        secret,
        geo,
        sessions: store.sessions,
        siteAllowlist: config.site_ids.length > 0 ? new Set(config.site_ids) : null,
        isRegisteredSite: (id) => sites.has(id),
        shields: (id) => shieldRules(sites.get(id)?.shields),
        metrics: m,
      },
      store,
      guard,
      clientIp: (req) => clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], proxies),
      maxBodyBytes: config.max_body_bytes,
      maxBatchBytes: config.max_batch_bytes,
      sites,
      ipRateLimit: config.ip_rate_limit,
    }),
  );
  const timezoneOf = (id: string) => sites.get(id)?.timezone ?? null;
  const goalsOf = (id: string) => goals.list(id);
  const statsDeps = { store, guard, metrics: m, timezoneOf, goalsOf, segments, imported: imports };
  await server.register(async (scope) => statsRoutes(scope, statsDeps));
  await server.register(async (scope) => propertyKeysRoutes(scope, statsDeps));
  await server.register(async (scope) => behavioralRoutes(scope, { ...statsDeps, sessionTimeoutSecs: config.session_timeout }));
  await server.register(async (scope) => queryV2Routes(scope, statsDeps));
  await server.register(async (scope) => exportRoutes(scope, statsDeps));
  await server.register(async (scope) =>
    siteRoutes(scope, {
      registry: sites,
      subscriptions,
      guard,
      members,
      onRemoved: (id) => goals.forgetSite(id),
      removeEvents: (id) => store.removeSite(id),
    }),
  );
  // The demo's events take the path of a batch of POST /api/events (src/demo/load.ts).
  await server.register(async (scope) =>
    demoRoutes(scope, {
      registry: sites,
      goals,
      store,
      guard,
      metrics: m,
      pipeline: { secret, geo, sessions: store.sessions, siteAllowlist: null, metrics: m },
    }),
  );
  await server.register(async (scope) =>
    siteActivityRoutes(scope, { store, registry: sites, guard, allowlist: config.site_ids }),
  );
  await server.register(async (scope) =>
    userRoutes(scope, {
      users,
      members,
      invitations,
      sessions,
      registry: sites,
      guard,
      mailer,
      origin: (req) => serverOrigin(req, proxies),
    }),
  );
  await server.register(async (scope) => reportRoutes(scope, { registry: sites, guard, notifier }));
  await server.register(async (scope) => goalRoutes(scope, { registry: sites, goals, guard }));
  await server.register(async (scope) => segmentRoutes(scope, { segments, sites, guard }));
  // Imports from the dashboard go through this server's store (its log), as POST /api/events does.
  const importJobs = new ImportJobs({
    store,
    pipeline: { secret, geo, sessions: store.sessions, siteAllowlist: null, metrics: m },
    dataDir: config.data_dir,
    imports,
    log,
  });
  await server.register(async (scope) =>
    importUploadRoutes(scope, { jobs: importJobs, registry: sites, guard, maxBytes: config.max_import_bytes }),
  );
  await server.register(async (scope) => importRoutes(scope, { imports, sites, guard }));
  const lockout = new LoginLockout({ maxFailures: config.login_max_failures, windowSecs: config.login_lockout_secs });
  await server.register(async (scope) =>
    authRoutes(scope, {
      password,
      users,
      members,
      invitations,
      sessions,
      keys,
      twoFactor: new TwoFactor(store.db),
      guard,
      siteIds: () => sites.list().map((s) => s.id),
      lockout,
      clientIp: (req) => clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], proxies),
      isHttps: (req) => requestProtocol(req, proxies) === 'https',
    }),
  );
  await server.register(async (scope) =>
    backupRoutes(scope, {
      guard,
      backup: async (dir) => {
        if (!(store instanceof DuckDbEventStore)) {
          throw conflict(
            'backup copies the embedded storage; with storage = "clickhouse" back up ClickHouse itself (BACKUP DATABASE) and the data directory\'s mallard.duckdb',
          );
        }
        const summary = await createBackup(store, config.data_dir, dir);
        log.info(summary, 'backup written');
        return summary;
      },
    }),
  );
  await server.register(async (scope) => trackerRoutes(scope, { log }));
  await server.register(async (scope) =>
    dashboardRoutes(scope, { log, guard, status: (req) => authStatus({ guard, password }, req) }),
  );
  await server.register(async (scope) =>
    healthRoutes(scope, {
      metrics: m,
      storageHealth: () => store.health(),
      freeDiskBytes: () => store.freeDiskBytes(),
      startedAt: new Date(),
    }),
  );

  const timer = setInterval(() => {
    void store.scheduledFlush();
  }, config.flush_interval * 1000);
  timer.unref();

  const url = await server.listen({ host: config.host, port: config.port });
  log.info({ url, data_dir: config.data_dir }, 'mallard metrics listening');
  notifier?.start(config.notify_interval * 1000);

  return {
    server,
    store,
    url,
    async close() {
      clearInterval(timer);
      await notifier?.stop();
      // A connection busy at the signal would stay open for keep-alive (65 s) after its
      // answer and hold up the final flush: close each one as soon as it is idle.
      const sweep = setInterval(() => server.server.closeIdleConnections(), 50);
      try {
        await server.close();
      } finally {
        clearInterval(sweep);
      }
      await importJobs.close(); // a running import stops after its batch, before the store closes
      await store.close();
      log.info('shut down cleanly');
    },
  };
}

/** The ClickHouse backend (docs/CLICKHOUSE.md): events in ClickHouse, sites, keys and settings in the data directory. */
function openClickHouse(
  config: Config,
  log: Logger,
  opts: { newMetadata?: boolean },
  metrics: () => Metrics | null,
): Promise<ClickHouseEventStore> {
  return ClickHouseEventStore.open({
    onShipped: (rows, ms) => {
      metrics()?.shippedEvents.inc(rows);
      metrics()?.shipSeconds.observe(ms / 1000);
    },
    onShipFailed: () => metrics()?.shipErrors.inc(),
    dataDir: config.data_dir,
    newMetadata: opts.newMetadata,
    derived: config.rollups ? derivedTables : undefined,
    deriveQuietMs: config.rollup_delay * 1000,
    retentionDays: config.retention_days,
    clickhouse: clickhouseConnection(config),
    walFsync: config.wal_fsync,
    sessionTimeoutSecs: config.session_timeout,
    flushCount: config.flush_count,
    log,
    limits: { memoryLimit: config.duckdb_memory_limit, threads: config.duckdb_threads },
  });
}
