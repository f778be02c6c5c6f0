import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag } from '../cli/flags.js'
import { stateDirFlag } from '../cli/run-flags.js'

export default class Runs extends SwitchyardCommand {
  static override summary = 'List the runs in the state directory, newest last'
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs --state-dir /srv/cutover/.switchyard --json',
  ]
  static override flags = { ...stateDirFlag, ...jsonFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(Runs)
    const [{ listRunIds, loadRunState }, { isLive }] = await Promise.all([
      import('../engine/state-dir.js'),
      import('../engine/state.js'),
    ])
    const rows = listRunIds(flags['state-dir']).map((id) => {
      const { state } = loadRunState(flags['state-dir'], id)
      return {
        runId: id,
        runbook: state.runbook.name,
        status: state.status,
        /** Holds its runbook: a new run of it is refused until it completes, is rolled back to start or abandoned. */
        live: isLive(state),
        rollbackPoint: state.completedPhases.at(-1) ?? 'start',
        operator: state.operator,
        startedAt: state.startedAt,
        updatedAt: state.updatedAt,
      }
    })
    if (flags.json) return this.printJson(rows)
    if (rows.length === 0) return this.log(`no runs in ${flags['state-dir']}`)
    for (const r of rows)
      this.log(
        `${r.runId}  ${r.status.padEnd(12)} ${r.live ? 'live' : '    '} at ${r.rollbackPoint.padEnd(14)} ${r.operator}  ${r.updatedAt}`,
      )
  }
}
