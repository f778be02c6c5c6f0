import { Args, Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag } from '../cli/flags.js'
import { stateDirFlag } from '../cli/run-flags.js'

export default class Abandon extends SwitchyardCommand {
  static override summary = "Release a live run's runbook without touching the world (journaled)"
  static override description =
    'A run that is paused, failed or interrupted holds its runbook until it completes or is rolled ' +
    'back to start. Abandoning it records who and why in its journal and lets a new run start; ' +
    'nothing is undone, and the abandoned run can be neither resumed nor rolled back.'
  static override examples = [
    '<%= config.bin %> abandon 20261126T041233Z-giftcard-rehearsal-3fa9 --reason "rehearsal; the world was reset by hand"',
  ]
  static override args = { run: Args.string({ required: true, description: 'The run id to abandon' }) }
  static override flags = {
    reason: Flags.string({
      required: true,
      description: 'Why it is abandoned (journaled)',
      helpValue: 'TEXT',
    }),
    ...stateDirFlag,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Abandon)
    const [{ abandonRun }, { currentOperator }] = await Promise.all([
      import('../engine/live-run.js'),
      import('../engine/engine.js'),
    ])
    const { runbook, leftInPlace } = await abandonRun({
      stateDir: flags['state-dir'],
      runId: args.run,
      reason: flags.reason,
      who: currentOperator(),
    })
    if (flags.json) return this.printJson({ runId: args.run, abandoned: true, leftInPlace })
    this.log(`run ${args.run} abandoned; runbook ${runbook} is free for a new run`)
    this.log(
      leftInPlace.length > 0
        ? `  left as they are (switchyard will not undo them): ${leftInPlace.join(', ')}`
        : '  it had applied no step that is still in place',
    )
  }
}
