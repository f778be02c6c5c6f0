// The journal's hash chain: every event names the sha256 of the line before it (the first, of the pinned
// runbook), so a line edited or removed in the middle breaks the link after it, and says where.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JournalEvent } from './events.js'
import {
  JOURNAL_FILE,
  type JournalRead,
  lineHash,
  parseJournal,
  readJournalText,
  UnreadableJournalError,
} from './journal.js'
import { RUNBOOK_COPY } from './state-dir.js'

export interface ChainProblem {
  /** The 1-based journal line the problem is at; absent for the pinned runbook. */
  line?: number
  message: string
}

export interface JournalVerification {
  /** The journal is chained, every link holds, and the pinned runbook is the one the run started with. */
  intact: boolean
  /** False when no event carries a link: a journal written by a switchyard from before the chain. */
  chained: boolean
  /** sha256 of the last event's line: what a report prints, to compare with later. */
  head?: string
  events: number
  /** Lines an older switchyard wrote before a newer one went on (they carry no link to check). */
  unchainedLines: number[]
  problems: ChainProblem[]
  /** A torn last line, lines set aside from a fenced writer: said, not tampering. */
  warnings: string[]
}

/** Checks the chain of a run's journal and the runbook pinned beside it. */
export function verifyJournal(runFolder: string): JournalVerification {
  const path = join(runFolder, JOURNAL_FILE)
  const text = readJournalText(path)
  const lines = text.split('\n')
  const pinnedPath = join(runFolder, RUNBOOK_COPY)
  const pinned = existsSync(pinnedPath) ? lineHash(readFileSync(pinnedPath)) : undefined
  let read: JournalRead
  try {
    read = parseJournal(text, path)
  } catch (error) {
    if (!(error instanceof UnreadableJournalError) || !error.damage) throw error
    const { line, why } = error.damage
    const problem = { line, message: `line ${line} was changed or removed: ${why}` }
    return {
      intact: false,
      chained: text.includes('"prev":'),
      events: 0,
      unchainedLines: [],
      problems: [problem],
      warnings: [],
    }
  }
  const { events, lineOf } = read
  const problems = [...runbookProblems(events[0], pinned), ...chainProblems(read, lines, pinned)]
  const unchainedLines = lineOf.filter((_, k) => events[k]?.prev === undefined)
  return {
    intact: problems.length === 0 && unchainedLines.length < events.length,
    chained: unchainedLines.length < events.length,
    ...(read.lastLine === undefined ? {} : { head: lineHash(read.lastLine) }),
    events: events.length,
    unchainedLines,
    problems,
    warnings: read.warnings,
  }
}

function runbookProblems(first: JournalEvent | undefined, pinned: string | undefined): ChainProblem[] {
  if (first?.type !== 'run-started') return [{ line: 1, message: 'line 1 is not the run-started event' }]
  if (pinned === undefined) return [{ message: `the pinned runbook ${RUNBOOK_COPY} is missing` }]
  if (pinned !== first.runbook.hash)
    return [
      {
        message: `the pinned runbook ${RUNBOOK_COPY} was changed: its sha256 is ${pinned}, the run started with ${first.runbook.hash}`,
      },
    ]
  return []
}

/**
 * Each event of the run links to the event before it (the first, to the pinned runbook); a fenced
 * writer's set-aside lines link to a line before them. Once one event carries a link, all after it must.
 */
function chainProblems(read: JournalRead, lines: string[], pinned: string | undefined): ChainProblem[] {
  const { events, lineOf } = read
  const problems: ChainProblem[] = []
  let chained = false
  for (let k = 0; k < events.length; k++) {
    const prev = events[k]?.prev
    const line = lineOf[k] as number
    if (prev === undefined) {
      if (chained) problems.push({ line, message: `line ${line} carries no link to the line before it` })
      continue
    }
    const before = k === 0 ? undefined : (lineOf[k - 1] as number)
    const expected = before === undefined ? pinned : lineHash(lines[before - 1] as string)
    // A missing pinned runbook is said once, above.
    if (prev !== expected && expected !== undefined)
      problems.push(
        before === undefined
          ? { line, message: `line 1 does not link to the pinned runbook ${RUNBOOK_COPY}` }
          : {
              line: before,
              message: `line ${before} was changed or removed: line ${line} links to sha256 ${prev}, but line ${before} now hashes to ${expected}`,
            },
      )
    chained = true
  }
  for (const group of read.setAside)
    for (const [n, line] of group.lines.entries()) {
      const prev = group.events[n]?.prev
      if (prev === undefined) continue
      const earlier = lines.slice(0, line - 1).some((text) => text !== '' && lineHash(text) === prev)
      if (!earlier)
        problems.push({
          line,
          message: `line ${line} (set aside) links to no line before it: one was changed or removed`,
        })
    }
  return problems
}
