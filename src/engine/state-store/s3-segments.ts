import { setTimeout as sleep } from 'node:timers/promises'
import { ExitCode, SwitchyardError } from '../../errors.js'
import type { JournalReplica } from '../journal.js'
import { keepSegment, stateKeys } from './s3-mirror.js'
import type { StateObjects } from './s3-objects.js'

/** Another writer appended to the run's journal in S3 first: this process writes nothing more. */
export class SegmentTakenError extends SwitchyardError {
  constructor(where: string, runId: string, segment: number) {
    super(
      `another writer wrote segment ${segment} of run ${runId}'s journal in ${where} first: this process stopped before its next step and wrote nothing more`,
      {
        exitCode: ExitCode.refused,
        hint: 'another process may be acting on this run now: see switchyard status, and continue only from the machine that holds the lock',
      },
    )
  }
}

/** Tries after a 409 (a concurrent conditional write on the key) before giving up. */
const CONFLICT_ATTEMPTS = 5

/**
 * The journal's batches as ordered segment objects, `journal/000000000001.ndjson` upward, each
 * created with If-None-Match: * so no segment is ever overwritten: a 412 means another writer
 * took that number, and this one stops. Each segment written is kept in this machine's copy too.
 */
export function segmentReplica(
  objects: StateObjects,
  folder: string,
  runId: string,
  firstSegment: number,
): JournalReplica {
  let next = firstSegment
  return {
    async append(batch: string) {
      for (let attempt = 1; ; attempt++) {
        const result = await objects.write(stateKeys.segment(runId, next), batch, { ifNoneMatch: '*' })
        if (result.written) break
        if (result.why === 'precondition' || attempt >= CONFLICT_ATTEMPTS)
          throw new SegmentTakenError(objects.location.url, runId, next)
        await sleep(20 * attempt)
      }
      keepSegment(folder, runId, next, batch)
      next++
    },
  }
}
