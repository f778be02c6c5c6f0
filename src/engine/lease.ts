import { ExitCode, SwitchyardError } from '../errors.js'
import { invocation } from '../invocation.js'

/**
 * The right to write a run's journal. Each lease carries an epoch that only grows: taking the lock
 * or breaking it bumps the runbook's epoch, which supersedes every older lease. The journal calls
 * `check()` before each write, so a holder whose lock was broken stops before its next side effect.
 * The local folder implements it with a lock file and an epoch counter (lock.ts); S3 team state
 * with a lock object renewed by conditional writes (state-store/s3-lease.ts).
 */
export interface Lease {
  readonly runbook: string
  readonly epoch: number
  /** Resolves while this lease is current; rejects with LeaseLostError once it is superseded. */
  check(): Promise<void>
  /** Gives the lock back, unless someone else holds it by now. */
  release(): Promise<void>
}

/** A holder's lease was superseded (its lock broken, or taken by another): it must write nothing more. */
export class LeaseLostError extends SwitchyardError {
  constructor(runbook: string, epoch: number, current: number, by: string | undefined) {
    super(
      `the lock on runbook ${runbook} was broken${by ? ` by ${by}` : ''} (this process held epoch ${epoch}, the lock is at epoch ${current} now): it stopped before its next step and wrote nothing more to the journal`,
      {
        exitCode: ExitCode.refused,
        hint: `another process may be acting on this run now: see ${invocation()} status, and continue only from the terminal that holds the lock`,
      },
    )
  }
}
