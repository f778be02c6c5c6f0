import { Flags } from '@oclif/core'
import { approvalTerms, checkApproveIds, forwardApprovalIds } from '../cli/approval-prompt.js'
import { SwitchyardCommand } from '../cli/base-command.js'
import { withEngineSession } from '../cli/engine-session.js'
import { jsonFlag, paramFlags, runbookArg } from '../cli/flags.js'
import { load, loadOptions } from '../cli/load-runbook.js'
import { approvalFlags, awsFlags, awsSettings, sandboxFlag, stateDirFlag } from '../cli/run-flags.js'
import { withSandboxLoad } from '../cli/sandbox-load.js'
import { withSandbox } from '../cli/sandbox-target.js'
import type { SavedPlan } from '../engine/run-context.js'
import { InvalidInputError } from '../errors.js'
import { invocation } from '../invocation.js'
import { describeInputProblem, readInputFile } from '../runbook/input-file.js'

export default class Run extends SwitchyardCommand {
  static override summary = 'Run a runbook, phase by phase, journaling every step'
  static override description =
    'Phases run in order; steps in a phase run as their needs allow. Every event is journaled ' +
    'durably before the next action, so a crash loses nothing: `switchyard resume` continues. ' +
    'Approval gates ask at the terminal; without one they need --approve or --yes. ' +
    'Ctrl-C once stops starting steps and pauses; twice aborts the running ones.'
  static override examples = [
    '<%= config.bin %> run runbooks/giftcard-rehearsal.yaml --param zone=Z0123456789ABC --dry-run',
    '<%= config.bin %> run runbooks/giftcard-rehearsal.yaml -p zone=Z0123456789ABC --until verify',
    '<%= config.bin %> run runbooks/giftcard-rehearsal.yaml -p zone=Z0123456789ABC --approve traffic',
    '<%= config.bin %> run runbooks/giftcard-rehearsal.yaml -p zone=Z0123456789ABC --plan reviewed.plan.json',
  ]
  static override args = { runbook: runbookArg }
  static override flags = {
    ...paramFlags,
    'dry-run': Flags.boolean({
      description: 'Rehearse: plan every step against the real world, change nothing, write no state',
      default: false,
    }),
    until: Flags.string({ description: 'Stop cleanly after this phase', helpValue: 'PHASE' }),
    ...sandboxFlag,
    load: Flags.integer({
      description:
        "With --sandbox: customers send this many requests a second through the sandbox's Route 53 for the whole run; the tally (requests, failures, per second) is journaled and printed",
      min: 1,
      helpValue: 'RPS',
    }),
    plan: Flags.string({
      description: 'Run only if every step still plans exactly what this saved plan says',
      helpValue: 'FILE',
      exclusive: ['dry-run'],
    }),
    ...approvalFlags,
    ...stateDirFlag,
    ...awsFlags,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run)
    if (flags.load !== undefined && !flags.sandbox)
      throw new InvalidInputError(
        '--load needs --sandbox: the load generator drives the sandbox platform only',
        {
          hint: `add --sandbox, e.g. ${invocation()} run RUNBOOK --sandbox --load ${flags.load}`,
        },
      )
    const runbook = this.loaded(await load(loadOptions(args.runbook, flags, true)), args.runbook)
    checkApproveIds(flags.approve, forwardApprovalIds(runbook), 'phase or step')
    const plan = flags.plan === undefined ? undefined : readPlan(flags.plan)
    const { startRun, currentOperator } = await import('../engine/engine.js')
    const who = currentOperator()
    const stateDir = flags['state-dir']
    const outcome = await withSandbox({ start: flags.sandbox, stateDir, runbook }, (platform) =>
      withSandboxLoad(platform, flags.load, (closingEvents) =>
        withEngineSession(flags.json, (observer, interrupt) =>
          startRun({
            runbook,
            stateDir,
            awsSettings: awsSettings(flags),
            observer,
            interrupt,
            who,
            approvals: approvalTerms(flags, who, observer),
            dryRun: flags['dry-run'],
            ...(flags.until ? { until: flags.until } : {}),
            ...(plan ? { plan } : {}),
            ...(closingEvents ? { closingEvents } : {}),
          }),
        ),
      ),
    )
    this.exit(outcome.exitCode)
  }
}

/** A saved plan is a few kilobytes per step; anything past this is not one. */
const MAX_PLAN_BYTES = 64 * 1024 * 1024

function readPlan(file: string): SavedPlan {
  const hint = `make one with ${invocation()} plan <runbook> --out FILE`
  const read = readInputFile(file, MAX_PLAN_BYTES)
  if (!('bytes' in read))
    throw new InvalidInputError(`--plan ${describeInputProblem(read, file, MAX_PLAN_BYTES)}`, { hint })
  try {
    const plan = JSON.parse(read.bytes.toString('utf8')) as SavedPlan
    if (!plan.runbook || !plan.steps) throw new Error('not a switchyard plan')
    return plan
  } catch (error) {
    throw new InvalidInputError(`--plan ${file}: ${(error as Error).message}`, { hint })
  }
}
