import { Args, Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag } from '../cli/flags.js'
import { awsFlags, awsSettings, sandboxFlag, stateDirFlag } from '../cli/run-flags.js'
import { withSandbox } from '../cli/sandbox-target.js'

export default class Report extends SwitchyardCommand {
  static override summary = 'Write a run or a drill as DIR/report.md and one self-contained DIR/report.html'
  static override description =
    'From the journal alone: the timeline as a Gantt of phases and steps (stages, bakes, waits), ' +
    'each approval with who, when and why, the plan versus what happened, gate evidence, warnings, ' +
    'the rollback record and who acted; for a drill, RTO, RPO, the world diff and failed requests. ' +
    "The runbook's secrets are read as the run read them, so that none appears in the report."
  static override examples = [
    '<%= config.bin %> report --out cutover-report',
    '<%= config.bin %> report 20261126T041233Z-giftcard-cutover-3fa9 --out audit/2026-11-26',
  ]
  static override args = {
    run: Args.string({ description: 'Run id (default: the live run; with none, the latest run)' }),
  }
  static override flags = {
    out: Flags.string({
      description: 'Folder to write report.md and report.html into (made if missing)',
      helpValue: 'DIR',
      required: true,
    }),
    ...stateDirFlag,
    ...sandboxFlag,
    ...awsFlags,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Report)
    const stateDir = flags['state-dir']
    const [{ pickRun }, { loadReport, openRun }, { writeReport }] = await Promise.all([
      import('../engine/state-dir.js'),
      import('../report/load-run.js'),
      import('../report/write-report.js'),
    ])
    const runId = pickRun(stateDir, args.run, 'report')
    const run = openRun(stateDir, runId)
    const { model, redactor } = await withSandbox(
      { start: flags.sandbox, stateDir, runbook: run.runbook },
      () => loadReport(stateDir, run, awsSettings(flags)),
    )
    const written = writeReport(model, redactor, flags.out)
    if (flags.json) return this.printJson({ runId, ...written })
    this.log(`report of run ${runId}:\n  ${written.markdown}\n  ${written.html}`)
  }
}
