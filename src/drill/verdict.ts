// Whether a drill passed: every fault fired, the rollback finished, traffic is on-prem, no SQL log
// was lost, no customer request failed outside the fault's window, and the world is as before. Each
// reason it did not is a line.
import type { DataLoss } from './data-loss.js'
import type { FaultRecord } from './trigger.js'

export function whyItFailed(drill: {
  faults: FaultRecord[]
  rollback: string
  worldDiff: string[]
  /** Undefined: traffic was not on-prem at the end. */
  rtoMs: number | undefined
  rpo: DataLoss
  /** Requests that failed outside the fault's window (null: no load ran). */
  failedOutsideWindow: number | null
}): string[] {
  const { faults, rpo } = drill
  const fired = faults.some((f) => f.injectedAt !== undefined)
  return [
    ...faults.filter((f) => f.notFired).map((f) => `fault ${f.name} never fired: ${f.notFired}`),
    ...faults
      .filter((f) => !f.notFired && f.injectedAt === undefined)
      .map((f) => `fault ${f.name} never fired: the run did not reach step ${f.step}`),
    ...(drill.rollback === 'rolled-back' ? [] : [`the rollback to start did not finish: ${drill.rollback}`]),
    ...(drill.worldDiff.length > 0
      ? [`the world after rollback differs from before in ${drill.worldDiff.length} place(s)`]
      : []),
    ...(fired && drill.rtoMs === undefined ? ['traffic is not back on-prem after the rollback'] : []),
    ...(rpo.lost_bytes > 0
      ? [`SQL Server lost ${rpo.lost_bytes} bytes of log (RPO ${rpo.lost_commit_ms} ms)`]
      : []),
    ...((drill.failedOutsideWindow ?? 0) > 0
      ? [
          `${drill.failedOutsideWindow} customer request(s) failed outside the fault's window (from the fault to detection or traffic restored, plus one TTL)`,
        ]
      : []),
  ]
}
