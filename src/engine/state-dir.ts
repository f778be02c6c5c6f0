import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidInputError } from '../errors.js'
import { JOURNAL_FILE, readJournal } from './journal.js'
import { foldJournal, type RunState } from './state.js'

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
  if (!existsSync(join(dir, JOURNAL_FILE))) {
    const known = listRunIds(stateDir)
    throw new InvalidInputError(`no run ${runId} in ${stateDir}`, {
      hint:
        known.length > 0 ? `runs here: ${known.slice(-5).join(', ')}` : 'no runs yet in this state directory',
    })
  }
  const { events, warnings } = readJournal(join(dir, JOURNAL_FILE))
  return { state: foldJournal(events), warnings }
}

/** The run to act on: the one named, or else the latest that has not completed. */
export function pickRun(stateDir: string, runId: string | undefined, purpose: string): string {
  if (runId) return runId
  const ids = listRunIds(stateDir).reverse()
  // A completed run can still be rolled back; only resume needs an unfinished one.
  if (purpose === 'rollback' && ids[0]) return ids[0]
  for (const id of ids) {
    const { state } = loadRunState(stateDir, id)
    if (state.status !== 'completed') return id
  }
  // Every run has finished: resume names the latest, and says there is nothing left to do.
  if (ids[0]) return ids[0]
  throw new InvalidInputError(`no run in ${stateDir} to ${purpose}`, {
    hint: 'start one with switchyard run <runbook>, or point --state-dir at the folder that holds the runs',
  })
}
