/**
 * A writer-preferring read/write lock for async code. Queries hold it shared; the short
 * moment when a flush swaps Parquet files and clears hot rows holds it exclusively, so a
 * query never sees an event twice or not at all.
 */
export class RwLock {
  private readers = 0;
  private writer = false;
  private waitingWriters: (() => void)[] = [];
  private waitingReaders: (() => void)[] = [];

  async read<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.waitingWriters.length > 0) {
      await new Promise<void>((resolve) => this.waitingReaders.push(resolve));
    } else {
      this.readers++;
    }
    try {
      return await fn();
    } finally {
      this.readers--;
      this.wake();
    }
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.readers > 0) {
      await new Promise<void>((resolve) => this.waitingWriters.push(resolve));
    } else {
      this.writer = true;
    }
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.wake();
    }
  }

  private wake(): void {
    if (this.writer || this.readers > 0) return;
    const nextWriter = this.waitingWriters.shift();
    if (nextWriter) {
      this.writer = true;
      nextWriter();
      return;
    }
    const readers = this.waitingReaders;
    this.waitingReaders = [];
    this.readers += readers.length;
    for (const r of readers) r();
  }
}
