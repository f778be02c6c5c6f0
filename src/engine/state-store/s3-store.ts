import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AwsClients } from '../../clients/aws.js'
import { SwitchyardError } from '../../errors.js'
import { Journal, lineHash } from '../journal.js'
import type { Lease } from '../lease.js'
import type { LockHolder } from '../lock.js'
import { PRIVATE_FILE_MODE } from '../private-files.js'
import { RUNBOOK_COPY, runDir } from '../state-dir.js'
import { acquireS3Lease } from './s3-lease.js'
import { localSegmentCount, mirrorFolder, pullMirror, stateKeys } from './s3-mirror.js'
import { type S3Location, StateObjects } from './s3-objects.js'
import { segmentReplica } from './s3-segments.js'
import { registerStore, type StateStore } from './store.js'

/**
 * Team state in S3: this machine's copy of the prefix is pulled before the command reads it, and
 * again once the lock is taken (so what a run checks under the lock is what S3 holds); journals
 * go to S3 segment by segment, the runbook is pinned there, and the lock is a lease in S3.
 */
export async function openS3Store(location: S3Location): Promise<{ folder: string; store: StateStore }> {
  const folder = mirrorFolder(location)
  const aws = new AwsClients({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
  })
  const objects = new StateObjects(location, aws)
  await pullMirror(folder, objects)
  let identity: Promise<string | undefined> | undefined

  const holderWithIdentity = async (holder: LockHolder): Promise<LockHolder> => {
    const awsIdentity = holder.awsIdentity ?? (await store.identity())
    return awsIdentity ? { ...holder, awsIdentity } : holder
  }
  const lockAndPull = async (lease: Lease): Promise<Lease> => {
    try {
      await pullMirror(folder, objects)
    } catch (error) {
      await lease.release()
      throw error
    }
    return lease
  }

  const store: StateStore = {
    acquireLock: async (holder) =>
      lockAndPull(await acquireS3Lease(objects, await holderWithIdentity(holder))),
    breakLock: async (broken, holder) =>
      lockAndPull(await acquireS3Lease(objects, await holderWithIdentity(holder), { breaking: broken })),
    createRun: async (runId, runbookFile, lease) => {
      const text = readFileSync(runbookFile, 'utf8')
      const pinned = await objects.write(stateKeys.runbook(runId), text, { ifNoneMatch: '*' })
      if (!pinned.written)
        throw new SwitchyardError(`run ${runId} already exists in ${location.url}: nothing was started`, {
          hint: 'run the command again: a new run gets a new id',
        })
      const journal = Journal.create(
        runDir(folder, runId),
        lease,
        segmentReplica(objects, folder, runId, 1),
        lineHash(text),
      )
      writeFileSync(join(runDir(folder, runId), RUNBOOK_COPY), text, { mode: PRIVATE_FILE_MODE })
      return journal
    },
    openJournal: async (runId, lease) => {
      const next = localSegmentCount(folder, runId) + 1
      return Journal.open(runDir(folder, runId), lease, segmentReplica(objects, folder, runId, next))
    },
    identity: () => {
      identity ??= import('../../clients/identity.js').then((m) => m.callerIdentity(aws))
      return identity
    },
  }
  registerStore(folder, store)
  return { folder, store }
}
