import { readFileSync } from 'node:fs'
import { ExitCode, SwitchyardError } from '../errors.js'
import type { JournalEvent } from './events.js'

export const JOURNAL_FILE = 'journal.ndjson'

/** Lines a writer added after its lock was broken: kept in the file, left out of the run's state. */
export interface SetAside {
  epoch: number
  /** Who wrote them, as far as the journal tells (pid and host of that epoch's writer). */
  writer: string
  /** 1-based line numbers in the file. */
  lines: number[]
  events: JournalEvent[]
}

export interface JournalRead {
  events: JournalEvent[]
  /** The 1-based line of each event in `events`. */
  lineOf: number[]
  /** The exact text of the last event's line (without its newline): what the next event chains to. */
  lastLine?: string
  warnings: string[]
  tornLine?: number
  setAside: SetAside[]
}

/** A journal switchyard cannot read: named by its path, with what is wrong and what to do. */
export class UnreadableJournalError extends SwitchyardError {
  constructor(
    message: string,
    hint: string,
    /** The 1-based line found damaged, and what is wrong with it. */
    readonly damage?: { line: number; why: string },
  ) {
    super(message, { exitCode: ExitCode.invalidInput, hint })
  }
}

/**
 * Reads a journal. A torn LAST line (power lost mid-write) is dropped with a warning. Lines from two
 * writers (a holder that went on after its lock was broken) are told apart by their epoch: the
 * newer epoch's lines are the run; the older writer's lines after the break are set aside and
 * named. Anything else out of order means the file was damaged from outside, and stops with an error.
 */
export function readJournal(path: string): JournalRead {
  return parseJournal(readJournalText(path), path)
}

export function readJournalText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new SwitchyardError(`cannot read the journal ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

/** readJournal on text already read; `path` names it in messages. */
export function parseJournal(text: string, path: string): JournalRead {
  const events: JournalEvent[] = []
  const lineOf: number[] = []
  const aside: Array<{ line: number; event: JournalEvent }> = []
  const warnings: string[] = []
  let epoch = 0
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (line === '') continue
    const terminated = i < lines.length - 1
    const event = terminated ? parseEvent(line) : undefined
    if (!event) {
      const nextLine = lines.slice(i + 1).find((l) => l !== '')
      const next = nextLine === undefined ? undefined : parseEvent(nextLine)
      if (next?.type === 'journal-torn-line' && next.line === i + 1) continue
      if (nextLine === undefined) {
        warnings.push(`the journal's last line (${i + 1}) is incomplete — a crash mid-write; it is ignored`)
        return finish(path, { events, lineOf, lines }, aside, warnings, i + 1)
      }
      throw damaged(path, i + 1, 'it is not a whole journal event')
    }
    const writtenIn = event.epoch ?? 0
    const last = events.at(-1)?.seq ?? 0
    if (writtenIn < epoch) {
      aside.push({ line: i + 1, event })
      continue
    }
    if (event.seq !== last + 1) {
      // A newer writer went on from an earlier line: what the older one wrote from there on came
      // after its lock was broken (it had checked its lease just before).
      if (writtenIn === epoch || event.seq < 1 || event.seq > last) {
        throw damaged(path, i + 1, `its seq ${event.seq} does not follow ${last}`)
      }
      const cut = events.findIndex((e) => e.seq >= event.seq)
      for (const [k, e] of events.splice(cut).entries())
        aside.push({ line: lineOf[cut + k] as number, event: e })
      lineOf.splice(cut)
    }
    events.push(event)
    lineOf.push(i + 1)
    epoch = writtenIn
  }
  return finish(path, { events, lineOf, lines }, aside, warnings)
}

function finish(
  path: string,
  kept: { events: JournalEvent[]; lineOf: number[]; lines: string[] },
  aside: Array<{ line: number; event: JournalEvent }>,
  warnings: string[],
  tornLine?: number,
): JournalRead {
  const { events, lineOf } = kept
  const setAside = groupByEpoch(aside, events)
  for (const s of setAside) warnings.push(describeSetAside(path, s))
  const last = lineOf.at(-1)
  return {
    events,
    lineOf,
    ...(last === undefined ? {} : { lastLine: kept.lines[last - 1] as string }),
    warnings,
    setAside,
    ...(tornLine === undefined ? {} : { tornLine }),
  }
}

function groupByEpoch(aside: Array<{ line: number; event: JournalEvent }>, kept: JournalEvent[]): SetAside[] {
  const groups = new Map<number, SetAside>()
  for (const { line, event } of aside.sort((a, b) => a.line - b.line)) {
    const epoch = event.epoch ?? 0
    let group = groups.get(epoch)
    if (!group) {
      group = {
        epoch,
        writer: writerOf(epoch, [...kept, ...aside.map((a) => a.event)]),
        lines: [],
        events: [],
      }
      groups.set(epoch, group)
    }
    group.lines.push(line)
    group.events.push(event)
  }
  return [...groups.values()]
}

/** The pid and host of an epoch's writer: from an event it wrote that names it, or the lock it broke. */
function writerOf(epoch: number, events: JournalEvent[]): string {
  for (const e of events) {
    if ((e.epoch ?? 0) === epoch && 'pid' in e && 'host' in e) return `pid ${e.pid} on ${e.host}`
    if (e.type === 'lock-broken') {
      const holder = e.holder as { epoch?: number; pid?: number; host?: string } | undefined
      if (holder?.epoch === epoch) return `pid ${holder.pid} on ${holder.host}`
    }
  }
  return 'an earlier writer'
}

function describeSetAside(path: string, s: SetAside): string {
  const what = s.events.map((e) => ('step' in e ? `${e.type} ${e.step}` : e.type)).join(', ')
  return (
    `${path}: line(s) ${s.lines.join(', ')} were written by ${s.writer} (epoch ${s.epoch}) after its lock ` +
    `had been broken; they are set aside (kept in the file, not part of the run's state): ${what}. ` +
    'Check the world for what they say was done.'
  )
}

function damaged(path: string, line: number, why: string): UnreadableJournalError {
  return new UnreadableJournalError(
    `the journal ${path} is corrupt at line ${line}: ${why}`,
    'switchyard never rewrites a journal line, so the file was damaged from outside; restore it from a backup',
    { line, why },
  )
}

function parseEvent(line: string): JournalEvent | undefined {
  try {
    const value = JSON.parse(line) as JournalEvent
    if (typeof value !== 'object' || value === null || typeof value.type !== 'string') return undefined
    if (!Number.isSafeInteger(value.seq)) return undefined
    return value
  } catch {
    return undefined
  }
}
