import { ExitCode, SwitchyardError } from '../errors.js'
import { describeFsError, isDiskFull } from '../fs-errors.js'
import { invocation } from '../invocation.js'

/**
 * The journal could not take an event (a full disk, a volume gone read-only). Every event before it
 * is durable, so the run stops here and resume continues from what the journal holds.
 */
export class JournalWriteError extends SwitchyardError {
  constructor(where: string, runId: string, error: unknown) {
    const cause = error as NodeJS.ErrnoException
    const fix = isDiskFull(cause) ? 'free space on that disk' : 'make the state folder writable again'
    super(
      `could not write the journal ${where}: ${describeFsError(cause)}; the run stopped at its last durable event`,
      {
        exitCode: ExitCode.runFailed,
        hint: `every complete line of the journal is on disk (a line cut off by the full disk is set aside on resume); ${fix}, then: ${invocation()} resume ${runId} — a step that was running is planned again before it acts`,
        cause,
      },
    )
  }
}

/** Why an append failed, for the operator: a fenced lease says so itself; a file-system error is described. */
export function journalWriteFailure(where: string, runId: string, error: unknown): Error {
  return error instanceof SwitchyardError ? error : new JournalWriteError(where, runId, error)
}
