import { writeFileSync } from 'node:fs'
import { Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag, paramFlags, runbookArg } from '../cli/flags.js'
import { interruptOnCtrlC } from '../cli/interrupt.js'
import { load, loadOptions } from '../cli/load-runbook.js'
import { awsFlags, awsSettings, sandboxFlag } from '../cli/run-flags.js'
import { withSandbox } from '../cli/sandbox-target.js'
import { DEFAULT_STATE_DIR } from '../engine/state-dir.js'
import { ExitCode } from '../errors.js'
import { invocation } from '../invocation.js'

export default class Plan extends SwitchyardCommand {
  static override summary = 'Show what a run would change, reading the real world and changing nothing'
  static override description =
    'Every step plans against the world as it is now: no step applies, no state is written. ' +
    'Save the plan with --out, review it, and run exactly that with `switchyard run --plan`; ' +
    'the run refuses if any step would now do something else.'
  static override examples = [
    '<%= config.bin %> plan runbooks/giftcard-rehearsal.yaml -p zone=Z0123456789ABC',
    '<%= config.bin %> plan runbooks/giftcard-rehearsal.yaml -p zone=Z0123456789ABC --out cutover.plan.json',
  ]
  static override args = { runbook: runbookArg }
  static override flags = {
    ...paramFlags,
    out: Flags.string({ char: 'o', description: 'Save the plan (JSON) for run --plan', helpValue: 'FILE' }),
    ...sandboxFlag,
    'state-dir': Flags.string({
      description: 'Where `sandbox up` recorded a running sandbox, as for run (a plan writes no state)',
      default: DEFAULT_STATE_DIR,
      helpValue: 'DIR',
    }),
    ...awsFlags,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Plan)
    const runbook = this.loaded(await load(loadOptions(args.runbook, flags, true)), args.runbook)
    const [{ startRun, currentOperator }, { PlanCollector }] = await Promise.all([
      import('../engine/engine.js'),
      import('../engine/plan-report.js'),
    ])
    const collector = new PlanCollector()
    const interrupt = interruptOnCtrlC((message) => process.stderr.write(`${message}\n`))
    const stateDir = flags['state-dir']
    let outcome: Awaited<ReturnType<typeof startRun>>
    try {
      outcome = await withSandbox({ start: flags.sandbox, stateDir, runbook }, () =>
        startRun({
          runbook,
          stateDir,
          awsSettings: awsSettings(flags),
          observer: collector,
          interrupt,
          who: currentOperator(),
          approvals: { yes: false, ids: new Set() },
          dryRun: true,
        }),
      )
    } finally {
      await interrupt.dispose()
    }
    const plan = collector.plan()
    if (flags.out) writeFileSync(flags.out, `${JSON.stringify(plan, null, 2)}\n`)
    if (flags.json) this.printJson({ ...plan, checks: collector.checks, outcome })
    else {
      process.stdout.write(collector.report())
      if (outcome.exitCode !== ExitCode.ok) process.stderr.write(`${outcome.message}\n`)
      if (flags.out)
        this.log(
          `plan saved to ${flags.out}; run it with: ${invocation()} run ${args.runbook} --plan ${flags.out}`,
        )
    }
    this.exit(outcome.exitCode)
  }
}
