import { Args, Flags } from '@oclif/core'
import { approvalTerms, checkApproveIds } from '../cli/approval-prompt.js'
import { SwitchyardCommand } from '../cli/base-command.js'
import { withEngineSession } from '../cli/engine-session.js'
import { jsonFlag } from '../cli/flags.js'
import { approvalFlags, awsFlags, awsSettings, sandboxFlag, stateDirFlag } from '../cli/run-flags.js'
import { runbookOfRun } from '../cli/runbook-of-run.js'
import { withSandbox } from '../cli/sandbox-target.js'
import { ExitCode } from '../errors.js'

export default class Rollback extends SwitchyardCommand {
  static override summary =
    'Return the world to a rollback point: undo every step applied after it, newest first'
  static override description =
    'Rollback points are `start` and the end of every completed phase. Each compensation is ' +
    'journaled like a step, so a rollback interrupted by a crash continues where it stopped. ' +
    'A step that switchyard cannot undo is shown as a manual action and waits for an operator to ' +
    'confirm it was undone by hand, step by step (--approve STEP --reason TEXT, or the prompt); ' +
    '--yes never confirms manual work. Going back past a completed ' +
    'point-of-no-return phase needs --force.'
  static override examples = [
    '<%= config.bin %> rollback --dry-run',
    '<%= config.bin %> rollback --to verify --dry-run',
    '<%= config.bin %> rollback 20261126T041233Z-giftcard-rehearsal-3fa9 --to start',
    '<%= config.bin %> rollback --to replicate --approve ad --reason "removed the test user by hand (CHG0041234)"',
  ]
  static override args = {
    run: Args.string({ description: 'Run id (default: the live run; with none, the latest run)' }),
  }
  static override flags = {
    to: Flags.string({
      description:
        'The rollback point: start, or a completed phase (default: one phase back: the start of the phase ' +
        'the run stopped in, or else the last completed phase undone)',
      helpValue: 'POINT',
    }),
    'dry-run': Flags.boolean({ description: 'Show the compensation plan; change nothing', default: false }),
    force: Flags.boolean({
      description: 'Allow going back past the point of no return, or with an edited runbook',
      default: false,
    }),
    'retry-step': Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'Undo this step again although its last undo was cut off (a crash or a kill)',
      helpValue: 'STEP',
    }),
    runbook: Flags.string({
      description: 'Use this runbook file instead of the one the run started from',
      helpValue: 'FILE',
    }),
    ...approvalFlags,
    approve: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'Confirm that this step was undone by hand; repeatable; needs --reason',
      helpValue: 'STEP',
      dependsOn: ['reason'],
    }),
    reason: Flags.string({ description: 'What was done by hand (journaled)', helpValue: 'TEXT' }),
    ...stateDirFlag,
    ...sandboxFlag,
    ...awsFlags,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Rollback)
    const stateDir = flags['state-dir']
    const [{ pickRun, rollbackRun, currentOperator }, { previousRollbackPoint }, { loadRunState }] =
      await Promise.all([
        import('../engine/engine.js'),
        import('../engine/rollback.js'),
        import('../engine/state-dir.js'),
      ])
    const runId = pickRun(stateDir, args.run, 'rollback')
    const { runbook, notices } = await runbookOfRun(stateDir, runId, {
      runbook: flags.runbook,
      force: flags.force,
    })
    for (const notice of notices) process.stderr.write(`warning: ${notice}\n`)
    checkApproveIds(
      flags.approve,
      runbook.phases.flatMap((p) => p.steps.map((s) => s.id)),
      'step',
    )
    const to = flags.to ?? previousRollbackPoint(loadRunState(stateDir, runId).state, runbook)
    if (!flags.to) process.stderr.write(`rollback point: ${to} (no --to: one phase back)\n`)
    const who = currentOperator()
    const common = {
      awsSettings: awsSettings(flags),
      runbook,
      runId,
      stateDir,
      who,
      to,
      force: flags.force,
      retrySteps: new Set(flags['retry-step'] ?? []),
    }
    if (flags['dry-run']) {
      const { plan, outcome } = await withSandbox({ start: flags.sandbox, stateDir, runbook }, () =>
        rollbackRun({
          ...common,
          dryRun: true,
          approvals: { yes: false, ids: new Set<string>() },
          observer: { start() {}, event() {}, finish: async () => {} },
          interrupt: { stopRequested: false, signal: new AbortController().signal },
        }),
      )
      if (flags.json) this.printJson({ plan, outcome })
      else {
        this.log(`rollback of ${runId} to ${to} would, newest first:`)
        for (const item of plan) {
          const how = item.interrupted
            ? 'UNDO CUT OFF'
            : { compensate: 'undo', manual: 'MANUAL', nothing: 'nothing to undo' }[item.how]
          const why = item.why ? ` (${item.why})` : ''
          this.log(`  ${how.padEnd(16)}${item.phase}.${item.step}${why}`)
          for (const line of item.undo ?? []) this.log(`  ${''.padEnd(16)}  ${line}`)
        }
        if (plan.length === 0) this.log('  (nothing: no step was applied after that point)')
      }
      return this.exit(ExitCode.ok)
    }
    const outcome = await withSandbox({ start: flags.sandbox, stateDir, runbook }, () =>
      withEngineSession(flags.json, async (observer, interrupt) => {
        const approvals = approvalTerms(flags, who, observer)
        const result = await rollbackRun({ ...common, dryRun: false, approvals, observer, interrupt })
        return result.outcome
      }),
    )
    this.exit(outcome.status === 'rolled-back' ? ExitCode.ok : outcome.exitCode)
  }
}
