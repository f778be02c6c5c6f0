import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidInputError } from '../errors.js'
import { invocation } from '../invocation.js'
import { JOURNAL_FILE, readJournal, UnreadableJournalError } from './journal-read.js'
import { foldJournal, isLive, type RunState } from './state.js'

export const DEFAULT_STATE_DIR = '.switchyard'
export const RUNBOOK_COPY = 'runbook.yaml'

export const runsDir = (stateDir: string) => join(stateDir, 'runs')
export const runDir = (stateDir: string, runId: string) => join(runsDir(stateDir), runId)

/** Sortable by time, readable, unique: 20261126T041233Z-giftcard-cutover-3fa9. */
export function newRunId(runbookName: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${stamp}-${runbookName}-${randomBytes(2).toString('hex')}`
}

export function listRunIds(stateDir: string): string[] {
  const dir = runsDir(stateDir)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((id) => existsSync(join(dir, id, JOURNAL_FILE)))
    .sort()
}

export function loadRunState(stateDir: string, runId: string): { state: RunState; warnings: string[] } {
  const dir = runDir(stateDir, runId)
  const path = join(dir, JOURNAL_FILE)
  if (!existsSync(path)) {
    const known = listRunIds(stateDir)
    throw new InvalidInputError(`no run ${runId} in ${stateDir}`, {
      hint:
        known.length > 0 ? `runs here: ${known.slice(-5).join(', ')}` : 'no runs yet in this state directory',
    })
  }
  const { events, warnings } = readJournal(path)
  if (events[0]?.type !== 'run-started')
    throw new UnreadableJournalError(
      events.length === 0
        ? `the journal ${path} holds no whole event: the run was cut off as it started (its first line is empty or torn)`
        : `the journal ${path} does not start with run-started: it was damaged from outside`,
      events.length === 0
        ? `nothing of run ${runId} ran; move its folder ${dir} aside, and the other runs are unaffected`
        : 'switchyard never rewrites a journal line; restore the file from a backup',
    )
  const state = foldJournal(events)
  state.warnings.push(...warnings)
  return { state, warnings }
}

/** Every run that can be read, and the ones that cannot with why: one bad run never hides the others. */
export function readRuns(stateDir: string): {
  runs: Array<{ id: string; state: RunState }>
  unreadable: Array<{ id: string; error: Error }>
} {
  const runs: Array<{ id: string; state: RunState }> = []
  const unreadable: Array<{ id: string; error: Error }> = []
  for (const id of listRunIds(stateDir)) {
    try {
      runs.push({ id, state: loadRunState(stateDir, id).state })
    } catch (error) {
      unreadable.push({ id, error: error as Error })
    }
  }
  return { runs, unreadable }
}

/** Runs that hold their runbook (see isLive), oldest first; of one runbook when named. */
export function liveRuns(stateDir: string, runbookName?: string): RunState[] {
  return readableRuns(stateDir).filter(
    (state) => isLive(state) && (runbookName === undefined || state.runbook.name === runbookName),
  )
}

const readableRuns = (stateDir: string) => readRuns(stateDir).runs.map((r) => r.state)

/** Where a run stands, in one line: its status, why it stopped, and the rollback point it reached. */
export function whereRunStands(state: RunState): string {
  const why = state.pauseReason ?? state.lastError?.message
  return `${state.status}${why ? ` (${why})` : ''}, at rollback point ${state.completedPhases.at(-1) ?? 'start'}`
}

/**
 * The run a command acts on when none is named: the live run, never a newer one; with none live,
 * the latest run not abandoned (a completed run can still be rolled back). Two live runs are not
 * guessed between.
 */
export function pickRun(
  stateDir: string,
  runId: string | undefined,
  purpose: string,
  runs: RunState[] = readableRuns(stateDir),
): string {
  if (runId) return runId
  const live = runs.filter(isLive)
  if (live.length > 1)
    throw new InvalidInputError(`${live.length} runs in ${stateDir} are live; name the one to ${purpose}`, {
      hint: live.map((s) => `${s.runId} (${s.runbook.name}): ${whereRunStands(s)}`).join('; '),
    })
  const chosen =
    live[0]?.runId ?? [...runs].reverse().find((s) => !s.abandoned)?.runId ?? listRunIds(stateDir).at(-1)
  if (chosen) return chosen
  throw new InvalidInputError(`no run in ${stateDir} to ${purpose}`, {
    hint: `start one with ${invocation()} run <runbook>, or point --state-dir at the folder that holds the runs`,
  })
}
