/**
 * Writes of a metadata store, one at a time: each sees every earlier write done (in the
 * database and in what the store keeps in memory), so its checks (a name taken, a count
 * reached) and its memory follow the database in order. A failed write does not stop the next.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
