/**
 * The files uploaded into each site (by their SHA-256), kept in the data directory
 * (`imports/uploaded/<key>.json`) so that the same file is not imported twice: once its
 * first events are stored, uploading it again for the site is refused, whether its import
 * finished or was cut short (docs/IMPORT.md, "From the dashboard").
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonDurably } from './checkpoint.js';

export interface UploadedFile {
  site: string;
  sha256: string;
  /** `importing` until the last event is stored: a server stopped in between leaves it so. */
  state: 'importing' | 'done';
  /** Events stored so far (made durable by the store before this was written). */
  imported: number;
  /** Events of the batch being appended when this was written: stored or not, after a kill. */
  appending: number;
  /** When the import began (ISO 8601). */
  started_at: string;
}

export class UploadedFiles {
  constructor(private readonly dir: string) {}

  private path(site: string, sha256: string): string {
    const key = createHash('sha256').update(`${site}\0${sha256}`).digest('hex').slice(0, 20);
    return join(this.dir, `${key}.json`);
  }

  get(site: string, sha256: string): UploadedFile | null {
    try {
      return JSON.parse(readFileSync(this.path(site, sha256), 'utf8')) as UploadedFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  put(file: UploadedFile): void {
    writeJsonDurably(this.path(file.site, file.sha256), file);
  }
}
