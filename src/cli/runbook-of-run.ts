import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { summarizeRunbookChanges } from '../engine/runbook-diff.js'
import type { RunState } from '../engine/state.js'
import { loadRunState, RUNBOOK_COPY, runDir } from '../engine/state-dir.js'
import { ExitCode, InvalidInputError, SwitchyardError } from '../errors.js'
import { formatDiagnostic } from '../runbook/diagnostics.js'
import type { Runbook } from '../runbook/model.js'

/**
 * The runbook a run continues with: the file it started from (or --runbook), with the params it
 * pinned. An edited runbook is refused, with what changed, unless the operator says --force.
 */
export async function runbookOfRun(
  stateDir: string,
  runId: string,
  options: { runbook?: string | undefined; force: boolean },
): Promise<{ runbook: Runbook; state: RunState; notices: string[] }> {
  const { loadRunbook } = await import('../runbook/load.js')
  const { state, warnings } = loadRunState(stateDir, runId)
  const notices = [...warnings]
  const pinned = join(runDir(stateDir, runId), RUNBOOK_COPY)
  let file = options.runbook ?? state.runbook.path ?? state.runbook.file
  if (!options.runbook && !existsSync(file)) {
    notices.push(`${file} is gone; using the copy pinned when the run started`)
    file = pinned
  }
  const loaded = loadRunbook({ file, requireParams: false })
  if (!loaded.runbook)
    throw new InvalidInputError(
      `the runbook of run ${runId} no longer loads:\n${loaded.diagnostics.map(formatDiagnostic).join('\n')}`,
    )
  // Relative paths in steps keep resolving against the folder the run started from, where this
  // machine has it (a run kept in S3 may have started on another): else against the one loaded here.
  const startedIn = state.runbook.path ?? state.runbook.file
  const runbook = {
    ...loaded.runbook,
    file: existsSync(dirname(startedIn)) ? startedIn : file,
    paramValues: state.params,
  }
  if (runbook.name !== state.runbook.name)
    throw new InvalidInputError(
      `${file} is runbook ${runbook.name}, but run ${runId} is of ${state.runbook.name}`,
    )
  if (runbook.hash !== state.runbook.hash) {
    const before = existsSync(pinned)
      ? loadRunbook({ file: pinned, requireParams: false }).runbook
      : undefined
    const changes = before ? summarizeRunbookChanges(before, runbook) : ['(the pinned copy is missing)']
    if (!options.force)
      throw new SwitchyardError(
        `${file} has changed since run ${runId} started:\n${changes.map((c) => `  - ${c}`).join('\n')}`,
        {
          exitCode: ExitCode.refused,
          hint: `continue with the runbook as it was (--runbook ${pinned}), or with the edited one (--force)`,
        },
      )
    notices.push(`runbook edited since the run started (--force): ${changes.join('; ')}`)
  }
  return { runbook, state, notices }
}
