import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidInputError } from '../../errors.js'
import type { JournalEvent } from '../events.js'
import { Journal, lineHash } from '../journal.js'
import type { Lease } from '../lease.js'
import { acquireLock, type LockHolder, removeLockOf } from '../lock.js'
import { PRIVATE_FILE_MODE } from '../private-files.js'
import { RUNBOOK_COPY, runDir } from '../state-dir.js'

export interface OpenedJournal {
  journal: Journal
  events: JournalEvent[]
  warnings: string[]
}

/**
 * Where runs, journals, pinned runbooks and locks are kept. Every reader reads runs from `folder`
 * (the state folder itself, or this machine's copy of an S3 prefix); what must be shared goes
 * through here: taking and breaking the lock, starting a run, appending to its journal.
 */
export interface StateStore {
  /** Takes the runbook's lock (refused with LockHeldError while another holds it). */
  acquireLock(holder: LockHolder): Promise<Lease>
  /** Breaks the lock `broken` holds and takes it, fencing that holder; refused if another took it since. */
  breakLock(broken: LockHolder, holder: LockHolder): Promise<Lease>
  /** Creates a run: its journal, and the runbook pinned beside it. */
  createRun(runId: string, runbookFile: string, lease: Lease): Promise<Journal>
  /** Opens a run's journal to append to it under `lease`, with what it holds. */
  openJournal(runId: string, lease: Lease): Promise<OpenedJournal>
  /** The AWS identity the store acts as, when it is in AWS (the lock and the run name it). */
  identity(): Promise<string | undefined>
}

/** The default: a folder on this machine (.switchyard). */
export function localStore(folder: string): StateStore {
  return {
    acquireLock: async (holder) => acquireLock(folder, holder),
    breakLock: async (broken, holder) => {
      removeLockOf(folder, broken)
      return acquireLock(folder, holder)
    },
    createRun: async (runId, runbookFile, lease) => {
      const dir = runDir(folder, runId)
      const pinned = readFileSync(runbookFile)
      const journal = Journal.create(dir, lease, undefined, lineHash(pinned))
      writeFileSync(join(dir, RUNBOOK_COPY), pinned, { mode: PRIVATE_FILE_MODE })
      return journal
    },
    openJournal: async (runId, lease) => Journal.open(runDir(folder, runId), lease),
    identity: async () => undefined,
  }
}

/** The S3 stores this process opened, by the folder that holds their copy. */
const opened = new Map<string, StateStore>()

/** Registers the store behind a mirror folder (done when --state-dir names s3://). */
export function registerStore(folder: string, store: StateStore): void {
  opened.set(folder, store)
}

/** The store whose runs `folder` holds: the S3 store this process opened for it, else the folder itself. */
export function stateStoreAt(folder: string): StateStore {
  const store = opened.get(folder)
  if (store) return store
  if (existsSync(join(folder, 'remote.json'))) {
    const { url } = JSON.parse(readFileSync(join(folder, 'remote.json'), 'utf8')) as { url: string }
    throw new InvalidInputError(
      `--state-dir ${folder} is this machine's copy of ${url}, not the state itself`,
      {
        hint: `pass --state-dir ${url}: writing to the copy would not reach the team`,
      },
    )
  }
  return localStore(folder)
}
