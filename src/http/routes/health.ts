/**
 * GET /health (liveness), /health/detailed (storage, buffer, flush, disk, version) and
 * /metrics (Prometheus).
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.js';
import type { StorageHealth } from '../../storage/storage.js';
import { VERSION } from '../../version.js';

export interface HealthRouteDeps {
  metrics: Metrics;
  storageHealth: () => Promise<StorageHealth>;
  freeDiskBytes: () => number;
  startedAt: Date;
}

export async function healthRoutes(app: FastifyInstance, deps: HealthRouteDeps): Promise<void> {
  app.get('/health', async (_req, reply) => reply.type('text/plain').send('ok'));

  app.get('/health/detailed', async (_req, reply) => {
    const storage = await deps.storageHealth();
    return reply.code(storage.reachable ? 200 : 503).send({
      status: storage.reachable && storage.problems.length === 0 && storage.quarantined.length === 0 ? 'ok' : 'degraded',
      problems: storage.problems,
      quarantined: storage.quarantined,
      version: VERSION,
      uptime_secs: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
      storage: {
        reachable: storage.reachable,
        buffer_events: storage.hotRows,
        wal_segments: storage.walSegments,
        partitions: storage.partitions,
        derived_pending: storage.derivedPending,
        derived_build_peak_rss_bytes: storage.derivedBuildPeakRssBytes,
        last_flush_at: storage.lastFlushAt,
      },
      disk: { data_bytes: storage.diskBytes, free_bytes: deps.freeDiskBytes() },
    });
  });

  app.get('/metrics', async (_req, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );
}
