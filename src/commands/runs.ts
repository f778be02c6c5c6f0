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
    const listed = [...rows, ...bad].sort(
      (a, b) => startedAt(a).localeCompare(startedAt(b)) || a.runId.localeCompare(b.runId),
    )
    if (flags.json) return this.printJson(listed)
    if (listed.length === 0) return this.log(`no runs in ${flags['state-dir']}`)
    const table = listed.map((r) =>
      'problem' in r
        ? [r.runId, r.status, r.problem]
        : [r.runId, r.status, r.live ? 'live' : '', r.rollbackPoint, r.operator, r.updatedAt],
    )
    this.log(formatTable(['RUN', 'STATUS', 'LIVE', 'ROLLBACK POINT', 'OPERATOR', 'UPDATED'], table))
  }
}

/**
 * Newest last by when each run started: run ids name only the second, so two runs started in one second
 * are ordered by their start time to the millisecond. An unreadable run is placed by its id's second.
 */
function startedAt(run: { runId: string; startedAt?: string }): string {
  if (run.startedAt) return run.startedAt
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(run.runId)
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : ''
}
