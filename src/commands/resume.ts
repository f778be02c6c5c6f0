import { Args, Flags } from '@oclif/core'
import { approvalTerms, checkApproveIds, forwardApprovalIds } from '../cli/approval-prompt.js'
import { SwitchyardCommand } from '../cli/base-command.js'
import { withEngineSession } from '../cli/engine-session.js'
import { jsonFlag } from '../cli/flags.js'
import { approvalFlags, awsFlags, awsSettings, sandboxFlag, stateDirFlag } from '../cli/run-flags.js'
import { runbookOfRun } from '../cli/runbook-of-run.js'
import { withSandbox } from '../cli/sandbox-target.js'
import { InvalidInputError } from '../errors.js'

export default class Resume extends SwitchyardCommand {
  static override summary = 'Continue a paused, failed or crashed run where its journal says it stopped'
  static override description =
    'A step journaled as applied is never applied again. A step that started but has no outcome ' +
    '(the process died mid-step) is planned again: if the world already shows it done, it is marked ' +
    'done; if it must act again and its type is not idempotent, resume stops and asks for ' +
    '--retry-step or --skip-step. Failed steps and the steps skipped because of them run again.'
  static override examples = [
    '<%= config.bin %> resume',
    '<%= config.bin %> resume 20261126T041233Z-giftcard-rehearsal-3fa9 --approve traffic',
    '<%= config.bin %> resume --retry-step seed',
    '<%= config.bin %> resume --skip-step failover --reason "failed over by hand at 02:14 (CHG0041234)"',
  ]
  static override args = {
    run: Args.string({ description: 'Run id (default: the live run; with none, the latest run)' }),
  }
  static override flags = {
    'retry-step': Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'Apply this interrupted step again, even though it is not idempotent',
      helpValue: 'STEP',
    }),
    'skip-step': Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'Mark this step done without running it (journaled with you and --reason)',
      helpValue: 'STEP',
      dependsOn: ['reason'],
    }),
    until: Flags.string({ description: 'Stop cleanly after this phase', helpValue: 'PHASE' }),
    reason: Flags.string({
      description: 'Why the steps are skipped or the gates approved (journaled)',
      helpValue: 'TEXT',
    }),
    runbook: Flags.string({
      description: 'Use this runbook file instead of the one the run started from',
      helpValue: 'FILE',
    }),
    force: Flags.boolean({
      description: 'Continue even though the runbook was edited since the run started',
      default: false,
    }),
    ...approvalFlags,
    ...stateDirFlag,
    ...sandboxFlag,
    ...awsFlags,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume)
    const stateDir = flags['state-dir']
    const { pickRun, resumeRun, currentOperator } = await import('../engine/engine.js')
    const runId = pickRun(stateDir, args.run, 'resume')
    const { runbook, notices } = await runbookOfRun(stateDir, runId, {
      runbook: flags.runbook,
      force: flags.force,
    })
    for (const notice of notices) process.stderr.write(`warning: ${notice}\n`)
    checkApproveIds(flags.approve, forwardApprovalIds(runbook), 'phase or step')
    const steps = new Set(runbook.phases.flatMap((p) => p.steps.map((s) => s.id)))
    for (const id of [...(flags['retry-step'] ?? []), ...(flags['skip-step'] ?? [])])
      if (!steps.has(id))
        throw new InvalidInputError(`--retry-step/--skip-step ${id}: no such step in ${runbook.name}`)
    const who = currentOperator()
    const outcome = await withSandbox({ start: flags.sandbox, stateDir, runbook }, () =>
      withEngineSession(flags.json, (observer, interrupt) =>
        resumeRun({
          awsSettings: awsSettings(flags),
          runbook,
          runId,
          stateDir,
          observer,
          interrupt,
          who,
          approvals: approvalTerms(flags, who, observer),
          retrySteps: new Set(flags['retry-step'] ?? []),
          skipSteps: new Map((flags['skip-step'] ?? []).map((id) => [id, flags.reason ?? ''])),
          ...(flags.until ? { until: flags.until } : {}),
        }),
      ),
    )
    this.exit(outcome.exitCode)
  }
}
