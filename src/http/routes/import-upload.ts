/**
 * Importing a history from the dashboard (docs/API.md, "Imports"): the file is the body of
 * `POST /api/sites/:id/imports/upload?format=…`, streamed to a file in the data directory
 * (never held in memory) up to `max_import_bytes`, then imported by a job of the server's
 * (ingest/import/upload-jobs.ts) whose progress `GET /api/sites/:id/imports/jobs/:jobId`
 * tells. Admins only.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ImportJob, ImportJobs, ReceivedFile, UploadFormat } from '../../ingest/import/upload-jobs.js';
import { siteIdParam } from '../../site-id.js';
import type { SiteRegistry } from '../../sites/registry.js';
import type { AuthGuard } from '../auth-guard.js';
import { drained } from '../drain.js';
import { badRequest, HttpError, notFound } from '../errors.js';

export interface ImportUploadRouteDeps {
  jobs: ImportJobs;
  registry: Pick<SiteRegistry, 'has'>;
  guard: AuthGuard;
  /** The largest file taken, in bytes (`max_import_bytes`). */
  maxBytes: number;
}

/**
 * The formats an upload takes. A new one needs a name here, a branch in upload-jobs.ts and
 * an option in the dashboard's card (components/import-upload.ts).
 */
const FORMATS: readonly UploadFormat[] = ['umami', 'ndjson', 'csv', 'parquet', 'plausible'];
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const tooLarge = (max: number) => new HttpError(413, `body: the file is larger than ${max} bytes (max_import_bytes)`);

export const jobJson = (j: ImportJob) => ({
  job_id: j.id,
  site_id: j.site,
  format: j.format,
  state: j.state,
  records_read: j.recordsRead,
  accepted: j.accepted,
  rejected: j.rejected,
  errors: j.errors,
  bytes_total: j.bytesTotal,
  bytes_done: j.bytesDone,
  imported: j.imported,
  error: j.error,
});

export async function importUploadRoutes(app: FastifyInstance, deps: ImportUploadRouteDeps): Promise<void> {
  const { jobs, registry, guard, maxBytes } = deps;
  // Any content type, left unread: the handler streams it to disk once the caller is allowed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  /** The `:id` of the path, for an admin of it (401/403), of a registered site (404). */
  const siteOf = async (req: FastifyRequest): Promise<string> => {
    const id = siteIdParam((req.params as { id?: string }).id, 'id');
    await guard.require(req, 'admin', id);
    if (!registry.has(id)) throw notFound(`no site ${id}`);
    return id;
  };

  app.post('/api/sites/:id/imports/upload', async (req, reply) => {
    let slot: ReturnType<ImportJobs['claim']>;
    let format: UploadFormat;
    try {
      const site = await siteOf(req);
      const asked = (req.query as { format?: unknown }).format;
      if (typeof asked !== 'string' || !FORMATS.includes(asked as UploadFormat)) {
        throw badRequest(`format: must be one of ${FORMATS.join(', ')}`);
      }
      format = asked as UploadFormat;
      if (Number(req.headers['content-length']) > maxBytes) throw tooLarge(maxBytes);
      slot = jobs.claim(site);
    } catch (err) {
      // Answered once the body is in: a client still sending would otherwise see a reset, not the answer.
      await drained(req.raw);
      throw err;
    }
    const path = jobs.tempPath();
    let file: ReceivedFile;
    try {
      file = await receive(req.raw, path, maxBytes);
    } catch (err) {
      slot.release();
      rmSync(path, { force: true });
      if (err instanceof HttpError && err.status === 413) await drained(req.raw);
      throw err;
    }
    if (file.bytes === 0) {
      slot.release();
      rmSync(path, { force: true });
      throw badRequest('body: empty; send the file as the request body');
    }
    const job = jobs.start(slot, format, file);
    return reply.code(202).send({ job_id: job.id });
  });

  app.get('/api/sites/:id/imports/jobs/:jobId', async (req) => {
    const site = await siteOf(req);
    const { jobId } = req.params as { jobId: string };
    if (!JOB_ID.test(jobId)) throw badRequest('jobId: not a valid job id');
    return jobJson(jobs.get(site, jobId));
  });
}

/**
 * The request's body into `path`, counted and hashed as it arrives; over `max` bytes, a 413
 * (and the rest of the body left to the caller to drain). Written with back-pressure: a
 * fast client never fills the server's memory.
 */
function receive(body: IncomingMessage, path: string, max: number): Promise<ReceivedFile> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path);
    const hash = createHash('sha256');
    let bytes = 0;
    let head = Buffer.alloc(0);
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      out.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max) return fail(tooLarge(max));
      hash.update(chunk);
      if (head.length < 2) head = Buffer.concat([head, chunk]).subarray(0, 2);
      if (!out.write(chunk)) {
        body.pause();
        out.once('drain', () => body.resume());
      }
    };
    const onEnd = () => {
      if (settled) return;
      out.end(() => {
        if (settled) return;
        settled = true;
        // gzip's magic bytes: the readers tell compression by the file's name (upload-jobs.ts).
        resolve({ path, bytes, sha256: hash.digest('hex'), gzip: head[0] === 0x1f && head[1] === 0x8b });
      });
    };
    out.on('error', (err) => fail(err));
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('close', () => {
      if (!body.complete) fail(badRequest('body: the upload was interrupted'));
    });
    body.once('error', () => fail(badRequest('body: the upload was interrupted')));
  });
}
