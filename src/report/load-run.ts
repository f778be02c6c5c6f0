import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { AwsClients, type AwsSettings } from '../clients/aws.js'
import { JOURNAL_FILE, readJournal } from '../engine/journal-read.js'
import { verifyJournal } from '../engine/journal-verify.js'
import { Redactor } from '../engine/redaction.js'
import { resolveSecrets } from '../engine/secrets.js'
import { foldJournal, type RunState } from '../engine/state.js'
import { loadRunState, RUNBOOK_COPY, runDir } from '../engine/state-dir.js'
import { InvalidInputError } from '../errors.js'
import { formatDiagnostic } from '../runbook/diagnostics.js'
import { loadRunbook } from '../runbook/load.js'
import type { Runbook } from '../runbook/model.js'
import { buildReport, type ReportModel } from './model.js'

/** A run to report: its state (a run that does not exist is named here) and the runbook it pinned. */
export function openRun(stateDir: string, runId: string): OpenedRun {
  const { state, warnings } = loadRunState(stateDir, runId)
  return { runId, state, warnings, runbook: pinnedRunbook(stateDir, runId) }
}

export interface OpenedRun {
  runId: string
  state: RunState
  /** What reading the journal found (a torn last line, lines set aside). */
  warnings: string[]
  runbook: Runbook
}

/** The runbook as the run started it: the copy pinned in the run's folder. */
function pinnedRunbook(stateDir: string, runId: string): Runbook {
  const file = join(runDir(stateDir, runId), RUNBOOK_COPY)
  const loaded = loadRunbook({ file, requireParams: false })
  if (!loaded.runbook)
    throw new InvalidInputError(
      `the runbook run ${runId} pinned (${file}) no longer loads:\n${loaded.diagnostics.map(formatDiagnostic).join('\n')}`,
      { hint: 'the report lays the journal out along the runbook it ran; restore that file from a backup' },
    )
  return loaded.runbook
}

/**
 * The secrets of the run's runbook, read where the run read them (environment, files beside the
 * runbook it started from, SSM), so that nothing the report shows carries one.
 */
async function redactorFor(runbook: Runbook, startedFrom: string, aws: AwsSettings): Promise<Redactor> {
  if (Object.keys(runbook.secrets).length === 0) return new Redactor([])
  const clients = new AwsClients(aws)
  try {
    const workdir = existsSync(dirname(startedFrom)) ? dirname(startedFrom) : dirname(runbook.file)
    return new Redactor(Object.values(await resolveSecrets(runbook, workdir, clients)))
  } finally {
    await clients.destroy()
  }
}

/** A run's report model, every value redacted for display, from its journal and the runbook it pinned. */
export async function loadReport(
  stateDir: string,
  { runId, state, warnings, runbook }: OpenedRun,
  aws: AwsSettings,
): Promise<{ model: ReportModel; redactor: Redactor }> {
  const { events } = readJournal(join(runDir(stateDir, runId), JOURNAL_FILE))
  const redactor = await redactorFor(runbook, state.runbook.path ?? state.runbook.file, aws)
  // Every leaf: the report shows texts forDisplay keeps (an abandon reason), and escaping would hide them from the last pass.
  const shown = redactor.leaves(events)
  // Folded again from what is shown, so approval reasons and notes in the state are redacted too.
  const shownState = foldJournal(shown)
  const chain = verifyJournal(runDir(stateDir, runId))
  const model = buildReport(shown, shownState, runbook, {
    warnings: redactor.leaves(warnings),
    chain: {
      intact: chain.intact,
      chained: chain.chained,
      ...(chain.head ? { head: chain.head } : {}),
      problems: redactor.leaves(
        chain.problems.map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message)),
      ),
    },
  })
  return { model, redactor }
}
