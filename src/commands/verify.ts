import { Args } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag } from '../cli/flags.js'
import { stateDirFlag } from '../cli/run-flags.js'
import type { JournalVerification } from '../engine/journal-verify.js'
import { ExitCode, InvalidInputError } from '../errors.js'
import { invocation } from '../invocation.js'

export default class Verify extends SwitchyardCommand {
  static override summary = "Check that a run's journal was not edited: its hash chain and its pinned runbook"
  static override description =
    'Every journal event carries the sha256 of the line before it, and the first the sha256 of the runbook ' +
    'pinned when the run started. A line changed or removed in the middle breaks the chain and is named by ' +
    'its line number. Exit 0 intact, 1 tampered. Compare the chain head with the one a report printed to ' +
    'catch lines cut from the end.'
  static override examples = [
    '<%= config.bin %> verify',
    '<%= config.bin %> verify 20261126T041233Z-giftcard-rehearsal-3fa9 --json',
  ]
  static override args = {
    run: Args.string({ description: 'Run id (default: the live run; with none, the latest run)' }),
  }
  static override flags = { ...stateDirFlag, ...jsonFlag }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Verify)
    const stateDir = flags['state-dir']
    const [{ listRunIds, pickRun, readRuns, runDir }, { verifyJournal }] = await Promise.all([
      import('../engine/state-dir.js'),
      import('../engine/journal-verify.js'),
    ])
    const ids = listRunIds(stateDir)
    let runId = args.run
    if (!runId) {
      const { runs } = readRuns(stateDir)
      // A run whose journal no longer reads is the one to look at first: it is not passed over for an older one.
      const latest = ids.at(-1)
      const picked =
        runs.length > 0
          ? pickRun(
              stateDir,
              undefined,
              'verify',
              runs.map((r) => r.state),
            )
          : latest
      runId = latest && !runs.some((r) => r.id === latest) ? latest : picked
    }
    if (!runId || !ids.includes(runId))
      throw new InvalidInputError(
        runId ? `no run ${runId} in ${stateDir}` : `no run in ${stateDir} to verify`,
        {
          hint: ids.length > 0 ? `runs here: ${ids.slice(-5).join(', ')}` : `${invocation()} runs lists them`,
        },
      )
    const result = verifyJournal(runDir(stateDir, runId))
    if (flags.json) this.printJson({ runId, ...result })
    else process.stdout.write(describeVerification(runId, result))
    this.exit(result.problems.length > 0 ? ExitCode.runFailed : ExitCode.ok)
  }
}

function describeVerification(runId: string, result: JournalVerification): string {
  const out: string[] = []
  const chainedFrom = result.unchainedLines.length
  if (!result.chained)
    out.push(
      `run ${runId}: the journal was written by a switchyard from before the hash chain (its ${result.events} events carry no links): it cannot be verified line by line`,
    )
  else if (result.problems.length === 0)
    out.push(
      `run ${runId}: journal intact: ${result.events} events, each linked to the one before, the first to the pinned runbook`,
    )
  else out.push(`run ${runId}: journal TAMPERED: ${result.problems.length} problem(s)`)
  if (result.chained && chainedFrom > 0)
    out.push(`  lines ${result.unchainedLines.join(', ')} were written by an older switchyard, without links`)
  for (const problem of result.problems) out.push(`  ${problem.message}`)
  for (const warning of result.warnings) out.push(`  note: ${warning}`)
  if (result.head) out.push(`chain head: ${result.head}`)
  if (result.problems.length > 0)
    out.push(
      'hint: switchyard never rewrites a journal line, so the file was edited from outside: compare it with a backup (or, for team state, the segments in S3)',
    )
  return `${out.join('\n')}\n`
}
