import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { JOURNAL_FILE } from '../journal-read.js'
import { lockPath } from '../lock.js'
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../private-files.js'
import { RUNBOOK_COPY, runDir } from '../state-dir.js'
import type { S3Location, StateObjects } from './s3-objects.js'

/** Marks a folder as this machine's copy of an S3 prefix: the state is there, this is a cache of it. */
export const REMOTE_FILE = 'remote.json'
const SEGMENTS = 'segments'

/**
 * Where this machine keeps its copy of an S3 prefix: SWITCHYARD_CACHE_DIR, else the XDG cache
 * folder. Losing it loses nothing: every command fills it again from S3.
 */
export function mirrorFolder(location: S3Location, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.SWITCHYARD_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'switchyard')
  return join(base, 's3', location.bucket, ...(location.prefix ? location.prefix.split('/') : []))
}

/** S3 keys of the state, relative to its prefix. */
export const stateKeys = {
  segment: (runId: string, n: number) => `runs/${runId}/journal/${String(n).padStart(12, '0')}.ndjson`,
  runbook: (runId: string) => `runs/${runId}/${RUNBOOK_COPY}`,
  lock: (runbook: string) => `locks/${runbook}.lock`,
}

/** The lock object's body: the holder, with its epoch, or a released lock that keeps the epoch. */
export interface LockObject {
  holder: import('../lock.js').LockHolder & { epoch: number }
  released?: boolean
  ttlSeconds: number
  renewals: number
}

/** The segment files of a run this machine holds, numbered 1..n without a gap. */
export function localSegmentCount(folder: string, runId: string): number {
  const dir = join(runDir(folder, runId), SEGMENTS)
  if (!existsSync(dir)) return 0
  let n = 0
  while (existsSync(join(dir, `${n + 1}.ndjson`))) n++
  return n
}

/** Keeps a segment this machine wrote or read: the journal is their concatenation. */
export function keepSegment(folder: string, runId: string, n: number, text: string): void {
  const dir = join(runDir(folder, runId), SEGMENTS)
  ensurePrivateDir(dir)
  writeFileSync(join(dir, `${n}.ndjson`), text, { mode: PRIVATE_FILE_MODE })
}

/** Writes the run's journal file whole from its segments, replacing the old one in one rename. */
function assembleJournal(folder: string, runId: string, count: number): void {
  const dir = runDir(folder, runId)
  let text = ''
  for (let n = 1; n <= count; n++) text += readFileSync(join(dir, SEGMENTS, `${n}.ndjson`), 'utf8')
  const draft = join(dir, `${JOURNAL_FILE}.${process.pid}`)
  writeFileSync(draft, text, { mode: PRIVATE_FILE_MODE })
  renameSync(draft, join(dir, JOURNAL_FILE))
}

/**
 * Brings this machine's copy up to date with S3: new journal segments (a segment is never
 * rewritten, so one read once is read for good), pinned runbooks, and who holds each lock.
 */
export async function pullMirror(folder: string, objects: StateObjects): Promise<void> {
  ensurePrivateDir(folder)
  writeFileSync(join(folder, REMOTE_FILE), `${JSON.stringify({ url: objects.location.url })}\n`, {
    mode: PRIVATE_FILE_MODE,
  })
  const keys = await objects.list('')
  const segmentsOf = new Map<string, number>()
  for (const key of keys) {
    const match = /^runs\/([^/]+)\/journal\/(\d{12})\.ndjson$/.exec(key)
    if (match)
      segmentsOf.set(match[1] as string, Math.max(segmentsOf.get(match[1] as string) ?? 0, Number(match[2])))
  }
  await Promise.all([...segmentsOf].map(([runId, count]) => pullRun(folder, objects, runId, count)))
  await pullLocks(folder, objects, keys)
}

async function pullRun(folder: string, objects: StateObjects, runId: string, count: number): Promise<void> {
  const have = localSegmentCount(folder, runId)
  for (let n = have + 1; n <= count; n++) {
    const segment = await objects.read(stateKeys.segment(runId, n))
    // A gap: a writer's segment is not listed yet; what follows it waits for the next pull.
    if (!segment) break
    keepSegment(folder, runId, n, segment.body)
  }
  if (localSegmentCount(folder, runId) !== have || !existsSync(join(runDir(folder, runId), JOURNAL_FILE)))
    assembleJournal(folder, runId, localSegmentCount(folder, runId))
  const pinned = join(runDir(folder, runId), RUNBOOK_COPY)
  if (!existsSync(pinned)) {
    const runbook = await objects.read(stateKeys.runbook(runId))
    if (runbook) writeFileSync(pinned, runbook.body, { mode: PRIVATE_FILE_MODE })
  }
}

/** Each held lock as a lock file, as the local folder has them; a released or gone one leaves none. */
async function pullLocks(folder: string, objects: StateObjects, keys: string[]): Promise<void> {
  const held = new Set<string>()
  for (const key of keys) {
    const runbook = /^locks\/(.+)\.lock$/.exec(key)?.[1]
    if (!runbook) continue
    const lock = await objects.read(key)
    if (!lock) continue
    const body = JSON.parse(lock.body) as LockObject
    if (body.released) continue
    held.add(runbook)
    ensurePrivateDir(join(folder, 'locks'))
    writeFileSync(lockPath(folder, runbook), `${JSON.stringify(body.holder, null, 2)}\n`, {
      mode: PRIVATE_FILE_MODE,
    })
  }
  const dir = join(folder, 'locks')
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir))
    if (name.endsWith('.lock') && !held.has(name.slice(0, -'.lock'.length)))
      rmSync(join(dir, name), { force: true })
}
