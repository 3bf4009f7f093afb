/**
 * One writer per run directory. A process that trains, resumes or finishes a run holds an
 * exclusive advisory lock (`flock`) on `<run>/run.lock` for as long as it writes there; a second
 * process that tries is refused with one line that names the holder.
 *
 * A crashed process cannot leave the lock stuck: the kernel releases a process's locks when it
 * dies, however it dies (SIGKILL, out of memory, the machine's power). A `run.lock` file left
 * behind by such a process is therefore recognised as stale simply because nobody holds its lock,
 * and the next writer takes it over. Its contents (pid, host, command, time) are only there to
 * name the holder in the refusal. On a shared folder, NFS carries these locks between machines.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";

/** Who holds a run's lock, as written into `run.lock`. */
export interface LockHolder {
  /** Process id of the holder. */
  pid: number;
  /** Host the holder runs on. */
  hostname: string;
  /** What the holder is doing, e.g. `"training"` or `"resuming"`. */
  purpose: string;
  /** ISO 8601 time it took the lock. */
  since: string;
}

/**
 * An exclusive hold on a run directory; release it with {@linkcode RunLock.release} (or `using`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunLock, UserError } from "@rnnlab/rnnlab";
 * const dir = Deno.makeTempDirSync();
 * const lock = RunLock.acquire(dir, "training");
 * assert.throws(() => RunLock.acquire(dir, "resuming"), UserError); // one writer at a time
 * lock.release();
 * RunLock.acquire(dir, "resuming").release(); // free again
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class RunLock implements Disposable {
  #file: Deno.FsFile | null;
  readonly #path: string;

  private constructor(file: Deno.FsFile, path: string) {
    this.#file = file;
    this.#path = path;
  }

  /**
   * Takes the lock of run directory `dir` for `purpose`, or throws a {@linkcode UserError} naming
   * the process that holds it.
   */
  static acquire(dir: string, purpose: string): RunLock {
    const path = `${dir}/run.lock`;
    for (let attempt = 0; attempt < 5; attempt++) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(path, { read: true, write: true, create: true });
      } catch (e) {
        throw new UserError(`cannot lock ${dir}: ${(e as Error).message}`);
      }
      if (!file.tryLockSync(true)) {
        // The holder writes its name right after it takes the lock: give it a moment.
        let holder = readHolder(path);
        for (let i = 0; holder === null && i < 50; i++) {
          Atomics.wait(PAUSE, 0, 0, 10);
          holder = readHolder(path);
        }
        file.close();
        throw new UserError(refusal(dir, holder));
      }
      // A holder that just released the lock removed the file first: if `path` no longer names
      // the file locked here, another process may be creating a new one; start again.
      let same = false;
      try {
        same = Deno.statSync(path).ino === file.statSync().ino;
      } catch { /* removed meanwhile */ }
      if (!same) {
        file.close();
        continue;
      }
      const holder: LockHolder = {
        pid: Deno.pid,
        hostname: Deno.hostname(),
        purpose,
        since: new Date().toISOString(),
      };
      file.truncateSync(0);
      file.writeSync(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
      return new RunLock(file, path);
    }
    throw new UserError(`cannot lock ${dir}: another process keeps replacing ${path}`);
  }

  /**
   * Whether a process holds the lock of folder `dir`, asked without writing: `run.lock` is
   * opened read-only, and its lock tried and let go at once.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RunLock } from "@rnnlab/rnnlab";
   * const dir = Deno.makeTempDirSync();
   * assert.equal(RunLock.held(dir), false);
   * const lock = RunLock.acquire(dir, "sweeping");
   * assert.equal(RunLock.held(dir), true);
   * lock.release();
   * assert.equal(RunLock.held(dir), false);
   * Deno.removeSync(dir, { recursive: true });
   * ```
   */
  static held(dir: string): boolean {
    let f: Deno.FsFile;
    try {
      f = Deno.openSync(`${dir}/run.lock`, { read: true });
    } catch {
      return false;
    }
    try {
      if (f.tryLockSync(true)) {
        f.unlockSync();
        return false;
      }
      return true;
    } finally {
      f.close();
    }
  }

  /** Releases the lock and removes `run.lock` (a second call does nothing). */
  release(): void {
    if (this.#file === null) return;
    try {
      Deno.removeSync(this.#path);
    } catch { /* already gone (the folder was removed) */ }
    try {
      this.#file.unlockSync();
    } catch { /* closing releases it too */ }
    this.#file.close();
    this.#file = null;
  }

  /** Same as {@linkcode RunLock.release}. */
  [Symbol.dispose](): void {
    this.release();
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function readHolder(path: string): LockHolder | null {
  try {
    const v = JSON.parse(Deno.readTextFileSync(path));
    return typeof v?.pid === "number" ? v as LockHolder : null;
  } catch {
    return null;
  }
}

function refusal(dir: string, h: LockHolder | null): string {
  if (h === null) return `${dir} is being written by another process; wait for it to finish`;
  const where = h.hostname === Deno.hostname() ? "" : ` on ${h.hostname}`;
  return `${dir} is being written by process ${h.pid}${where} (${h.purpose} since ${h.since}); ` +
    `wait for it to finish, or stop it with: kill -INT ${h.pid}`;
}
