import { Args, Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag, paramFlags } from '../cli/flags.js'
import { load, loadOptions } from '../cli/load-runbook.js'
import { sandboxFlag, stateDirFlag } from '../cli/run-flags.js'
import { ExitCode, InvalidInputError } from '../errors.js'
import { invocation } from '../invocation.js'

export default class Drill extends SwitchyardCommand {
  static override summary =
    'Rehearse a failure: run a runbook on a fresh sandbox with faults injected, then prove rollback'
  static override description =
    'Starts the demo platform, snapshots its whole world, runs the runbook with each --inject fault ' +
    'fired as its step starts, follows the failure path to a rollback to start, and compares the world ' +
    'with the snapshot. Measures detection time, RTO (traffic back on-prem) and RPO (SQL log lost). ' +
    'Passes (exit 0) only when the world is as before; a failed drill exits 1. The result is ' +
    'journaled in the run as a drill-result event.'
  static override examples = [
    '<%= config.bin %> drill --faults',
    '<%= config.bin %> drill runbooks/giftcard-cutover.yaml --sandbox --params runbooks/params/giftcard-cutover.sandbox.yaml --inject alarm-mid-bake@shift',
    '<%= config.bin %> drill runbooks/giftcard-cutover.yaml --sandbox --params runbooks/params/giftcard-cutover.sandbox.yaml --inject cli-killed@seed --json',
    '<%= config.bin %> drill runbooks/giftcard-cutover.yaml --sandbox --params runbooks/params/giftcard-cutover.sandbox.yaml --each --inject seed-fails@seed --inject route53-5xx@shift',
  ]
  static override args = {
    runbook: Args.string({ description: 'Path to the runbook YAML file' }),
  }
  static override flags = {
    faults: Flags.boolean({ description: 'List the faults a drill can inject, one a line', default: false }),
    inject: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'Fire this fault as this step starts (repeatable); see --faults',
      helpValue: 'FAULT@STEP',
    }),
    each: Flags.boolean({
      description:
        'One drill per --inject, one after the other on one sandbox (a drill matrix); stops at the first that fails',
      default: false,
    }),
    load: Flags.integer({
      description:
        "Customers' requests a second through the sandbox's Route 53 during each drill (0: none); failures are counted",
      default: 20,
      min: 0,
      helpValue: 'RPS',
    }),
    ...paramFlags,
    ...sandboxFlag,
    ...stateDirFlag,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Drill)
    if (flags.faults) {
      const { FAULTS, catalogLines } = await import('../drill/faults.js')
      if (flags.json)
        return this.printJson(FAULTS.map(({ name, does, stepTypes }) => ({ name, does, stepTypes })))
      for (const line of catalogLines()) this.log(line)
      return
    }
    if (!args.runbook)
      throw new InvalidInputError('drill needs a RUNBOOK', {
        hint: `${invocation()} drill RUNBOOK --sandbox --inject FAULT@STEP, or --faults to list the faults`,
      })
    if (!flags.sandbox)
      throw new InvalidInputError(
        '--sandbox: a drill breaks things, so it runs only against a fresh sandbox',
        {
          hint: 'add --sandbox',
        },
      )
    const runbook = this.loaded(await load(loadOptions(args.runbook, flags, true)), args.runbook)
    const [
      { readInjections },
      { runDrills },
      { summaryLines },
      { interruptOnCtrlC },
      { createLinesRenderer },
    ] = await Promise.all([
      import('../drill/injections.js'),
      import('../drill/run-drill.js'),
      import('../drill/summary.js'),
      import('../cli/interrupt.js'),
      import('../render/lines.js'),
    ])
    const series = readInjections(flags.inject ?? [], runbook, flags.each)
    const interrupt = interruptOnCtrlC((message) => process.stderr.write(`${message}\n`))
    try {
      const results = await runDrills(
        {
          runbook,
          stateDir: flags['state-dir'],
          interrupt,
          show: () => createLinesRenderer({ stream: process.stderr, env: process.env }),
          loadRps: flags.load,
          paramArgs: [
            ...(flags.params ? ['--params', flags.params] : []),
            ...(flags.param ?? []).flatMap((p) => ['-p', p]),
          ],
        },
        series,
      )
      const passed = results.length === series.length && results.every((r) => r.passed)
      if (flags.json) this.printJson(flags.each ? { passed, drills: results } : results[0])
      else {
        for (const result of results) for (const line of summaryLines(result)) this.log(line)
        if (flags.each)
          this.log(`${results.filter((r) => r.passed).length} of ${series.length} drills passed`)
      }
      this.exit(passed ? ExitCode.ok : ExitCode.runFailed)
    } finally {
      await interrupt.dispose()
    }
  }
}
