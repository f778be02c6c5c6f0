import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import type { WaitParams } from './wait.js'

const DEFAULT_INTERVAL = '10s'
const COUNTDOWN_EVERY_MS = 1000

export const waitStep: StepImplementation<WaitParams> = {
  async plan(_ctx, params) {
    const reason = params.reason ? ` (${params.reason})` : ''
    if (params.until !== undefined) {
      const every = params.interval ?? DEFAULT_INTERVAL
      return {
        changes: [
          {
            action: 'wait',
            target: params.until,
            summary: `wait until ${params.until} passes, checking every ${every}${reason}`,
          },
        ],
      }
    }
    return {
      changes: [
        { action: 'wait', target: String(params.duration), summary: `wait ${params.duration}${reason}` },
      ],
    }
  },

  async apply(ctx, params) {
    if (params.until !== undefined)
      return waitUntilPassing(ctx, params.until, parseDuration(params.interval ?? DEFAULT_INTERVAL))
    await countDown(ctx, parseDuration(String(params.duration)), params.reason ?? 'waiting')
    return {}
  },

  // Waiting changed nothing, but rollback compensates every reversible step that planned a change.
  async compensate() {},
}

/** Sleeps on the engine's clock a second at a time, so the operator sees the time left. */
async function countDown(ctx: StepContext, totalMs: number, reason: string): Promise<void> {
  let remaining = totalMs
  while (remaining > 0) {
    const percent = Math.floor(((totalMs - remaining) / totalMs) * 100)
    ctx.progress({ percent, message: `${reason}: ${formatRemaining(remaining)} left` })
    const slice = Math.min(COUNTDOWN_EVERY_MS, remaining)
    try {
      await ctx.sleep(slice)
    } catch (error) {
      throw new SwitchyardError(
        `stopped waiting with ${formatRemaining(remaining)} of ${formatRemaining(totalMs)} left`,
        { cause: error },
      )
    }
    remaining -= slice
  }
  ctx.progress({ percent: 100, message: `${reason}: done` })
}

async function waitUntilPassing(
  ctx: StepContext,
  stepId: string,
  intervalMs: number,
): Promise<{ attempts: number }> {
  let lastFailure = ''
  for (let attempt = 1; ; attempt++) {
    try {
      const verdict = await ctx.check(stepId)
      ctx.progress({
        message:
          verdict.result === 'passes'
            ? `${stepId} passed (check ${attempt})`
            : `${stepId} stands down (skipped: ${verdict.reason}); nothing to wait for`,
        milestone: true,
      })
      return { attempts: attempt }
    } catch (error) {
      if (ctx.signal.aborted) throw gaveUp(ctx, stepId, attempt, lastFailure)
      lastFailure = ctx.redact(error instanceof Error ? error.message : String(error))
      ctx.progress({ message: `${stepId} not passing yet (check ${attempt}): ${lastFailure}` })
    }
    try {
      await ctx.sleep(intervalMs)
    } catch (error) {
      throw gaveUp(ctx, stepId, attempt, lastFailure, error)
    }
  }
}

function gaveUp(
  ctx: StepContext,
  stepId: string,
  attempts: number,
  lastFailure: string,
  cause: unknown = ctx.signal.reason,
): SwitchyardError {
  const last = lastFailure ? `; the last check said: ${lastFailure}` : ''
  return new SwitchyardError(`stopped waiting for ${stepId} to pass after ${attempts} checks${last}`, {
    cause,
  })
}

/** `4m05s`, `59s`: the time left, to the second. */
function formatRemaining(ms: number): string {
  const seconds = Math.ceil(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  if (h > 0) return `${h}h${pad(m)}m${pad(s)}s`
  if (m > 0) return `${m}m${pad(s)}s`
  return `${s}s`
}
