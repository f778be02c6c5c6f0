import { Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { paramFlags, runbookArg } from '../cli/flags.js'
import { load, loadOptions } from '../cli/load-runbook.js'
import { drawGraph, GRAPH_FORMATS, graphData } from '../runbook/draw.js'

export default class Graph extends SwitchyardCommand {
  static override summary = 'Draw the runbook: phases, step dependencies and rollback points'
  static override description =
    'Phases are clusters in the order they run, `needs` are edges, a rollback point sits after every ' +
    'phase, and approvals and the point of no return are marked. Mermaid renders in GitHub and most ' +
    'wikis; DOT renders with Graphviz (`dot`, from the graphviz package).'
  static override examples = [
    '<%= config.bin %> graph runbooks/giftcard-cutover.yaml > cutover.mmd',
    '<%= config.bin %> graph runbooks/giftcard-cutover.yaml --format dot | dot -Tsvg > cutover.svg',
    '<%= config.bin %> graph runbooks/giftcard-cutover.yaml --json',
  ]
  static override args = { runbook: runbookArg }
  static override flags = {
    format: Flags.string({
      char: 'f',
      options: [...GRAPH_FORMATS],
      default: 'mermaid',
      description: 'Output format',
    }),
    ...paramFlags,
    json: Flags.boolean({
      description: 'Print the graph as JSON (phases, steps, needs, rollback points) instead of a drawing',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Graph)
    const runbook = this.loaded(await load(loadOptions(args.runbook, flags)), args.runbook)
    if (flags.json) return this.printJson(graphData(runbook))
    process.stdout.write(drawGraph(runbook, flags.format as (typeof GRAPH_FORMATS)[number]))
  }
}
