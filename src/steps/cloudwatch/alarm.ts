import * as z from 'zod/mini'
import { defineStep } from '../contract.js'

export const Missing = z
  .enum(['fail', 'ok'])
  .check(z.describe('How INSUFFICIENT_DATA counts: fail (default, fail closed) or ok'))

export const alarmParams = z.strictObject({
  alarms: z
    .array(z.string().check(z.minLength(1)))
    .check(z.minLength(1), z.describe('Names of the CloudWatch alarms that must be OK')),
  missing: z.optional(Missing),
})

export type AlarmParams = z.infer<typeof alarmParams>

export const cloudwatchAlarm = defineStep({
  type: 'cloudwatch.alarm',
  summary: 'Check that CloudWatch alarms are OK (a read-only check, for gates, preflight and wait until:)',
  params: alarmParams,
  idempotent: () => true,
  readOnly: true,
  reversible: () => true,
  usesAws: true,
  load: () => import('./alarm-step.js').then((m) => m.alarmStep),
})
