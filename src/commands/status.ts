import { unwatchFile, watchFile } from 'node:fs'
import { join } from 'node:path'
import { Args, Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag } from '../cli/flags.js'
import { stateDirFlag } from '../cli/run-flags.js'

export default class Status extends SwitchyardCommand {
  static override summary = 'Show where a run stands: phases, steps, outputs, approvals, the rollback point'
  static override description =
    "Read from the run's journal alone; safe to run while the run is going, from another terminal."
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status 20261126T041233Z-giftcard-rehearsal-3fa9 --watch',
  ]
  static override args = {
    run: Args.string({ description: 'Run id (default: the live run; with none, the latest run)' }),
  }
  static override flags = {
    watch: Flags.boolean({
      char: 'w',
      description: 'Redraw whenever the journal changes (Ctrl-C to stop)',
      default: false,
    }),
    ...stateDirFlag,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Status)
    const stateDir = flags['state-dir']
    const [{ readRuns, loadRunState, pickRun, runDir }, { formatStatus }, { JOURNAL_FILE }, { loadRunbook }] =
      await Promise.all([
        import('../engine/state-dir.js'),
        import('../engine/status-report.js'),
        import('../engine/journal.js'),
        import('../runbook/load.js'),
      ])
    let runId = args.run
    if (!runId) {
      // The live run (or else the latest); runs that cannot be read are named, never hide the others.
      const { runs, unreadable } = readRuns(stateDir)
      for (const { id, error } of unreadable)
        process.stderr.write(`warning: run ${id} is unreadable: ${error.message}\n`)
      if (runs.length > 0)
        runId = pickRun(
          stateDir,
          undefined,
          'show',
          runs.map((r) => r.state),
        )
    }
    if (!runId) {
      // Still JSON for a script that reads it: no run, so no fields.
      if (flags.json) return this.printJson({})
      this.log(`no runs in ${stateDir}`)
      return
    }
    const show = () => {
      const { state } = loadRunState(stateDir, runId)
      if (flags.json) return this.printJson(state)
      const pinned = join(runDir(stateDir, runId), 'runbook.yaml')
      const runbook = loadRunbook({ file: pinned, requireParams: false }).runbook
      if (flags.watch) process.stdout.write('\x1b[2J\x1b[H')
      process.stdout.write(formatStatus(state, runbook))
    }
    show()
    if (!flags.watch) return
    const journal = join(runDir(stateDir, runId), JOURNAL_FILE)
    watchFile(journal, { interval: 500 }, show)
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
    unwatchFile(journal)
  }
}
