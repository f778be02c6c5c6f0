import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { describeReadiness, type Readiness, readReadiness } from './instance-status.js'
import type { WaitStatusParams } from './wait-status.js'

const DEFAULT_POLL = '15s'

async function poll(ctx: StepContext, p: WaitStatusParams): Promise<Readiness[]> {
  return readReadiness(await ctx.aws.ec2(), p.instances)
}

function notReady(readiness: Readiness[]): SwitchyardError {
  return new SwitchyardError(`not every instance is ready: ${describeReadiness(readiness, 20)}`, {
    hint: 'ready means running with both status checks (system and instance) ok',
  })
}

export const waitStatusStep: StepImplementation<WaitStatusParams> = {
  // Reads once: instances already ready mean nothing to wait for. Otherwise the wait is the plan's
  // one change (it alters nothing in AWS), so a resume after a crash mid-wait waits again rather
  // than taking "no change" as done.
  async plan(ctx, p) {
    const readiness = await poll(ctx, p)
    if (readiness.every((r) => r.ready)) return { changes: [], outputs: { ready: p.instances, polls: 1 } }
    const count = p.instances.length === 1 ? '1 instance' : `${p.instances.length} instances`
    return {
      changes: [
        {
          action: 'wait',
          target: count,
          summary: `wait until ${count} run with system and instance status ok (read-only)`,
        },
      ],
    }
  },

  async apply(ctx, p) {
    const every = parseDuration(p.poll ?? DEFAULT_POLL)
    let last: Readiness[] = []
    for (let polls = 1; ; polls++) {
      last = await poll(ctx, p)
      const summary = describeReadiness(last)
      ctx.progress({
        percent: Math.floor((last.filter((r) => r.ready).length / last.length) * 100),
        message: summary,
      })
      if (last.every((r) => r.ready)) return { ready: p.instances, polls }
      try {
        await ctx.sleep(every)
      } catch (error) {
        throw new SwitchyardError(`stopped waiting for instance status: ${describeReadiness(last, 20)}`, {
          cause: error,
        })
      }
    }
  },

  async check(ctx, p) {
    const readiness = await poll(ctx, p)
    if (!readiness.every((r) => r.ready)) throw notReady(readiness)
  },
}
