import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag, paramFlags, runbookArg } from '../cli/flags.js'
import { load, loadOptions } from '../cli/load-runbook.js'
import { InvalidRunbookError } from '../cli/report-error.js'
import { ExitCode } from '../errors.js'
import { rollbackPoints } from '../runbook/model.js'

export default class Validate extends SwitchyardCommand {
  static override summary = 'Check a runbook: YAML, schema, step parameters, graph, expressions and params'
  static override description =
    'Reports every problem at once as file:line:column with a reason and, where it helps, a hint. ' +
    'Nothing runs from a runbook that does not validate. Without --param/--params, required params ' +
    'are listed rather than reported as missing; with them, the params are checked as a run would.'
  static override examples = [
    '<%= config.bin %> validate runbooks/giftcard-cutover.yaml',
    '<%= config.bin %> validate runbooks/giftcard-cutover.yaml --param zone=Z0123456789ABC',
    '<%= config.bin %> validate runbooks/giftcard-cutover.yaml --params prod.params.yaml --json',
  ]
  static override args = { runbook: runbookArg }
  static override flags = { ...paramFlags, ...jsonFlag }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Validate)
    const result = await load(loadOptions(args.runbook, flags))
    const runbook = result.runbook
    const summary = runbook && {
      name: runbook.name,
      phases: runbook.phases.length,
      steps: runbook.phases.reduce((n, p) => n + p.steps.length, 0),
      rollbackPoints: rollbackPoints(runbook),
      pointOfNoReturn: runbook.phases.find((p) => p.pointOfNoReturn)?.id ?? null,
      paramsRequiredAtRunTime: result.missingParams,
    }

    if (flags.json) {
      const invalid = runbook ? undefined : new InvalidRunbookError(args.runbook, result.diagnostics)
      this.printJson({
        ok: runbook !== undefined,
        file: args.runbook,
        diagnostics: result.diagnostics,
        summary,
        // Like every command's failure under --json: an `error` a script can test for.
        ...(invalid ? { error: { message: invalid.message, exitCode: invalid.exitCode } } : {}),
      })
    } else {
      this.printDiagnostics(result.diagnostics)
      if (summary) {
        const noReturn = summary.pointOfNoReturn ? `; point of no return: ${summary.pointOfNoReturn}` : ''
        this.log(
          `ok ${args.runbook}: ${summary.phases} phases, ${summary.steps} steps, ` +
            `${summary.rollbackPoints.length} rollback points (${summary.rollbackPoints.join(', ')})${noReturn}`,
        )
        if (summary.paramsRequiredAtRunTime.length > 0)
          this.log(`params required at run time: ${summary.paramsRequiredAtRunTime.join(', ')}`)
      } else {
        const errors = result.diagnostics.filter((d) => d.severity === 'error').length
        process.stderr.write(`${errors} error${errors === 1 ? '' : 's'}: ${args.runbook} is not valid\n`)
      }
    }
    if (!runbook) this.exit(ExitCode.invalidInput)
  }
}
