import { SwitchyardError } from '../../errors.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { displayCommand } from '../process/command-line.js'
import { runCommand } from '../process/run-command.js'
import type { ExecParams } from './exec.js'

/** The undo data exec records: the rollback command itself is in the params. */
const ROLLBACK_MARKER = { rollback: true } as const

const isRollbackMarker = (undo: unknown) =>
  typeof undo === 'object' && undo !== null && (undo as { rollback?: unknown }).rollback === true

// A rehearsal makes no changes; the engine only plans, so reaching here in one is a bug to stop loudly.
function refuseDryRun(ctx: StepContext, params: ExecParams): void {
  if (ctx.dryRun)
    throw new SwitchyardError(`refusing to run \`${ctx.redact(displayCommand(params))}\` in a dry run`, {
      hint: 'a dry run only plans exec steps; this is a bug in switchyard',
    })
}

export const execStep: StepImplementation<ExecParams> = {
  async plan(ctx, params) {
    const line = ctx.redact(displayCommand(params))
    const change = { action: 'run', target: line, summary: `run ${line}` }
    return { changes: [params.rollback ? change : { ...change, manualUndo: true }] }
  },

  async apply(ctx, params) {
    refuseDryRun(ctx, params)
    if (params.rollback) await ctx.recordUndo(ROLLBACK_MARKER)
    return runCommand(ctx, params, { successCodes: params.success_codes })
  },

  async check(ctx, params) {
    if (!params.idempotent)
      throw new SwitchyardError(
        `\`${ctx.redact(displayCommand(params))}\` cannot serve as a check: it is not marked idempotent, and a check runs it again`,
        { hint: 'set idempotent: true on the exec step if running it repeatedly is safe' },
      )
    await runCommand(ctx, params, { successCodes: params.success_codes })
  },

  describeUndo(params, undo) {
    return undo.some(isRollbackMarker) && params.rollback ? [`run ${displayCommand(params.rollback)}`] : []
  },

  async compensate(ctx, params, undo) {
    if (!undo.some(isRollbackMarker)) return
    refuseDryRun(ctx, params)
    if (!params.rollback)
      throw new SwitchyardError(
        `\`${ctx.redact(displayCommand(params))}\` has no rollback command; undo it by hand`,
      )
    await runCommand(ctx, params.rollback)
  },
}
