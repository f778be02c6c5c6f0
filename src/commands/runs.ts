import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag } from '../cli/flags.js'
import { stateDirFlag } from '../cli/run-flags.js'
import { formatTable } from '../cli/table.js'

export default class Runs extends SwitchyardCommand {
  static override summary = 'List the runs in the state directory, newest last'
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs --state-dir /srv/cutover/.switchyard --json',
  ]
  static override flags = { ...stateDirFlag, ...jsonFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(Runs)
    const [{ readRuns }, { isLive }] = await Promise.all([
      import('../engine/state-dir.js'),
      import('../engine/state.js'),
    ])
    const { runs, unreadable } = readRuns(flags['state-dir'])
    const rows = runs.map(({ id, state }) => ({
      runId: id,
      runbook: state.runbook.name,
      status: state.status,
      /** Holds its runbook: a new run of it is refused until it completes, is rolled back to start or abandoned. */
      live: isLive(state),
      rollbackPoint: state.completedPhases.at(-1) ?? 'start',
      operator: state.operator,
      startedAt: state.startedAt,
      updatedAt: state.updatedAt,
    }))
    const bad = unreadable.map(({ id, error }) => ({
      runId: id,
      status: 'unreadable',
      problem: error.message,
    }))
    if (flags.json) return this.printJson([...rows, ...bad].sort((a, b) => a.runId.localeCompare(b.runId)))
    if (rows.length === 0 && bad.length === 0) return this.log(`no runs in ${flags['state-dir']}`)
    const table = [
      ...rows.map((r) => [r.runId, r.status, r.live ? 'live' : '', r.rollbackPoint, r.operator, r.updatedAt]),
      ...bad.map((r) => [r.runId, r.status, r.problem]),
    ].sort((a, b) => (a[0] as string).localeCompare(b[0] as string))
    this.log(formatTable(['RUN', 'STATUS', 'LIVE', 'ROLLBACK POINT', 'OPERATOR', 'UPDATED'], table))
  }
}
