import { createHash } from 'node:crypto'
import { closeSync, fdatasyncSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { JournalEvent, NewEvent } from './events.js'
import { JOURNAL_FILE, readJournal } from './journal-read.js'
import type { Lease } from './lease.js'
import { ensurePrivateDir, openPrivateFile } from './private-files.js'

export {
  JOURNAL_FILE,
  type JournalRead,
  parseJournal,
  readJournal,
  readJournalText,
  type SetAside,
  UnreadableJournalError,
} from './journal-read.js'

/** Test-only fault injection: SIGKILL this process right after the Nth event is durable. */
const crashAfter = Number(process.env.SWITCHYARD_CRASH_AFTER_EVENTS ?? 0)
let eventsWritten = 0

type Pending = { line: string; resolve: () => void; reject: (error: Error) => void }

/** A shared copy each batch goes to first (S3 team state): a batch is durable once it took it. */
export interface JournalReplica {
  append(batch: string): Promise<void>
}

/**
 * The append-only, newline-delimited JSON journal of a run. An event is durable (written and
 * fdatasync'ed) before `append` resolves; events appended while a sync is in flight are written
 * together in one write and one sync (group commit), so concurrent steps share the cost. Every
 * batch is written only while the writer's lease is current (one check per batch); once it is not,
 * the journal refuses every later event, so a fenced holder writes nothing more. With a replica
 * (team state in S3) each batch goes there first, as one write, and is durable once it landed.
 */
export class Journal {
  private pending: Pending[] = []
  private flushing = false
  private closed = false
  private lost: Error | undefined
  private nextSeq: number

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly lease: Lease,
    lastSeq: number,
    /** Written before the first batch: a newline that closes a torn last line. */
    private prefix = '',
    private readonly replica?: JournalReplica,
    /** What the next event's `prev` is: the hash of the last line, or the anchor of a new journal. */
    private prev?: string,
  ) {
    this.nextSeq = lastSeq + 1
  }

  /**
   * Creates the run folder and its journal; the folder entry is synced so the file survives a crash.
   * `anchor` (the pinned runbook's sha256) is the first event's `prev`: the chain starts from it.
   */
  static create(runDir: string, lease: Lease, replica?: JournalReplica, anchor?: string): Journal {
    ensurePrivateDir(runDir)
    const path = join(runDir, JOURNAL_FILE)
    const fd = openPrivateFile(path)
    syncDirectory(runDir)
    syncDirectory(dirname(runDir))
    return new Journal(path, fd, lease, 0, '', replica, anchor)
  }

  /** Opens an existing journal to append to it, after reading what it holds. */
  static open(
    runDir: string,
    lease: Lease,
    replica?: JournalReplica,
  ): { journal: Journal; events: JournalEvent[]; warnings: string[] } {
    const path = join(runDir, JOURNAL_FILE)
    const { events, warnings, tornLine, lastLine } = readJournal(path)
    const fd = openSync(path, 'a')
    const journal = new Journal(
      path,
      fd,
      lease,
      events.at(-1)?.seq ?? 0,
      tornLine === undefined ? '' : '\n',
      replica,
      lastLine === undefined ? undefined : lineHash(lastLine),
    )
    // A torn line is never rewritten: it is closed off and acknowledged by the next event.
    if (tornLine !== undefined)
      events.push(journal.append({ type: 'journal-torn-line', line: tornLine }).event)
    return { journal, events, warnings }
  }

  /**
   * Appends one event. The event (with its seq) is returned at once; `durable` resolves when it is
   * on disk. A later event becoming durable implies every earlier one is: writes keep their order.
   */
  append<E extends NewEvent>(
    event: E,
    now: Date = new Date(),
  ): { event: JournalEvent; durable: Promise<void> } {
    if (this.closed) throw new Error('journal is closed')
    const full = {
      seq: this.nextSeq++,
      at: now.toISOString(),
      epoch: this.lease.epoch,
      ...(this.prev === undefined ? {} : { prev: this.prev }),
      ...event,
    } as JournalEvent
    const text = JSON.stringify(full)
    this.prev = lineHash(text)
    const line = `${text}\n`
    const durable = new Promise<void>((resolve, reject) => {
      if (this.lost) return reject(this.lost)
      this.pending.push({ line, resolve, reject })
      if (!this.flushing) {
        this.flushing = true
        setImmediate(() => void this.flush())
      }
    })
    return { event: full, durable }
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      try {
        await this.lease.check()
      } catch (error) {
        this.lost = error as Error
        for (const p of [...batch, ...this.pending]) p.reject(this.lost)
        this.pending = []
        break
      }
      try {
        const lines = batch.map((p) => p.line).join('')
        await this.replica?.append(lines)
        writeWhole(this.fd, Buffer.from(this.prefix + lines))
        fdatasyncSync(this.fd)
        this.prefix = ''
      } catch (error) {
        // What follows a failed write could land after a torn line with a gap in seq: nothing more is written.
        this.lost = error as Error
        for (const p of [...batch, ...this.pending]) p.reject(this.lost)
        this.pending = []
        break
      }
      for (const p of batch) p.resolve()
      eventsWritten += batch.length
      if (crashAfter > 0 && eventsWritten >= crashAfter) process.kill(process.pid, 'SIGKILL')
    }
    this.flushing = false
  }

  /** Waits for every appended event to be durable (or refused). */
  async drain(): Promise<void> {
    while (this.flushing || this.pending.length > 0) await new Promise((r) => setImmediate(r))
  }

  async close(): Promise<void> {
    await this.drain()
    if (this.closed) return
    this.closed = true
    closeSync(this.fd)
  }
}

/** The link to a journal line: sha256 of its exact text, without the newline. */
export const lineHash = (line: string | Buffer): string => createHash('sha256').update(line).digest('hex')

function syncDirectory(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Some platforms cannot fsync a directory; the file's own sync still holds its contents.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** write(2) may write less than asked (a disk filling up): the rest follows, or the error says why not. */
function writeWhole(fd: number, bytes: Buffer): void {
  let written = 0
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
}
