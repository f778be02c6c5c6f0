import { SwitchyardError } from '../../errors.js'
import type { StepContext, StepImplementation } from '../contract.js'
import type { AlarmParams } from './alarm.js'
import { alarmPasses, describeAlarm, readAlarms } from './alarm-states.js'

/** Reads every alarm; fails naming each one that is not OK, with its state and reason. */
async function requireOk(ctx: StepContext, p: AlarmParams): Promise<Record<string, string>> {
  const readings = await readAlarms(await ctx.aws.cloudwatch(), p.alarms)
  const failing = readings.filter((r) => !alarmPasses(r, p.missing))
  if (failing.length > 0)
    throw new SwitchyardError(failing.map(describeAlarm).join('; '), {
      hint:
        failing.some((r) => r.state === 'INSUFFICIENT_DATA') && p.missing !== 'ok'
          ? 'INSUFFICIENT_DATA fails closed; say missing: ok if no data means healthy'
          : 'the alarms must be OK before switchyard goes on',
    })
  return Object.fromEntries(readings.map((r) => [r.name, r.state as string]))
}

export const alarmStep: StepImplementation<AlarmParams> = {
  async plan() {
    return { changes: [] }
  },

  async apply(ctx, p) {
    return { states: await requireOk(ctx, p) }
  },

  async check(ctx, p) {
    await requireOk(ctx, p)
  },
}
