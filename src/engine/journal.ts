import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SwitchyardError } from '../errors.js'
import type { JournalEvent, NewEvent } from './events.js'

export const JOURNAL_FILE = 'journal.ndjson'

/** Test-only fault injection: SIGKILL this process right after the Nth event is durable. */
const crashAfter = Number(process.env.SWITCHYARD_CRASH_AFTER_EVENTS ?? 0)
let eventsWritten = 0

/**
 * The append-only, newline-delimited JSON journal of a run. An event is durable (written and
 * fdatasync'ed) before `append` resolves; events appended while a sync is in flight are written
 * together in one write and one sync (group commit), so concurrent steps share the cost.
 */
export class Journal {
  private pending: Array<{ line: string; resolve: () => void; reject: (error: Error) => void }> = []
  private flushing = false
  private closed = false
  private nextSeq: number

  private constructor(
    readonly path: string,
    private readonly fd: number,
    lastSeq: number,
  ) {
    this.nextSeq = lastSeq + 1
  }

  /** Creates the run folder and its journal; the folder entry is synced so the file survives a crash. */
  static create(runDir: string): Journal {
    mkdirSync(runDir, { recursive: true })
    const path = join(runDir, JOURNAL_FILE)
    const fd = openSync(path, 'wx')
    syncDirectory(runDir)
    syncDirectory(dirname(runDir))
    return new Journal(path, fd, 0)
  }

  /** Opens an existing journal to append to it, after reading what it holds. */
  static open(runDir: string): { journal: Journal; events: JournalEvent[]; warnings: string[] } {
    const path = join(runDir, JOURNAL_FILE)
    const { events, warnings, tornLine } = readJournal(path)
    const fd = openSync(path, 'a')
    const lastSeq = events.at(-1)?.seq ?? 0
    if (tornLine !== undefined) {
      // A torn line is never rewritten: it is closed off and acknowledged by the next event.
      const ack: JournalEvent = {
        seq: lastSeq + 1,
        at: new Date().toISOString(),
        type: 'journal-torn-line',
        line: tornLine,
      }
      writeSync(fd, `\n${JSON.stringify(ack)}\n`)
      fdatasyncSync(fd)
      events.push(ack)
    }
    return { journal: new Journal(path, fd, events.at(-1)?.seq ?? 0), events, warnings }
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
    const full = { seq: this.nextSeq++, at: now.toISOString(), ...event } as JournalEvent
    const line = `${JSON.stringify(full)}\n`
    const durable = new Promise<void>((resolve, reject) => {
      this.pending.push({ line, resolve, reject })
      if (!this.flushing) {
        this.flushing = true
        setImmediate(() => this.flush())
      }
    })
    return { event: full, durable }
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      try {
        writeSync(this.fd, batch.map((p) => p.line).join(''))
        fdatasyncSync(this.fd)
      } catch (error) {
        for (const p of batch) p.reject(error as Error)
        continue
      }
      for (const p of batch) p.resolve()
      eventsWritten += batch.length
      if (crashAfter > 0 && eventsWritten >= crashAfter) process.kill(process.pid, 'SIGKILL')
    }
    this.flushing = false
  }

  /** Waits for every appended event to be durable. */
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

/**
 * Reads a journal. A torn or corrupt LAST line (power lost mid-write) is dropped with a warning;
 * corruption anywhere before it means the file was damaged otherwise, and stops with an error —
 * unless the very next event acknowledges it (written when the journal was reopened after a tear).
 */
export function readJournal(path: string): { events: JournalEvent[]; warnings: string[]; tornLine?: number } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new SwitchyardError(`cannot read the journal ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  const events: JournalEvent[] = []
  const warnings: string[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (line === '') continue
    const terminated = i < lines.length - 1
    const event = terminated ? parseEvent(line, events.at(-1)?.seq ?? 0) : undefined
    if (event) {
      events.push(event)
      continue
    }
    const nextLine = lines.slice(i + 1).find((l) => l !== '')
    const next = nextLine === undefined ? undefined : parseEvent(nextLine, events.at(-1)?.seq ?? 0)
    if (next?.type === 'journal-torn-line' && next.line === i + 1) continue
    if (nextLine === undefined) {
      warnings.push(`the journal's last line (${i + 1}) is incomplete — a crash mid-write; it is ignored`)
      return { events, warnings, tornLine: i + 1 }
    }
    throw new SwitchyardError(`the journal ${path} is corrupt at line ${i + 1}`, {
      hint: 'switchyard never rewrites a journal line, so the file was damaged from outside; restore it from a backup',
    })
  }
  return { events, warnings }
}

function parseEvent(line: string, previousSeq: number): JournalEvent | undefined {
  try {
    const value = JSON.parse(line) as JournalEvent
    if (typeof value !== 'object' || value === null || typeof value.type !== 'string') return undefined
    if (value.seq !== previousSeq + 1) return undefined
    return value
  } catch {
    return undefined
  }
}

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
