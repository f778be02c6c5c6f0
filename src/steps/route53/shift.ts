import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { Missing } from '../cloudwatch/alarm.js'
import { defineStep } from '../contract.js'
import { RecordRef } from './weights.js'

const SetIdentifier = z.string().check(z.minLength(1))

const Gate = z.union([
  z.strictObject({
    alarm: z.string().check(z.minLength(1), z.describe('A CloudWatch alarm that must stay OK')),
    missing: z.optional(Missing),
  }),
  z.strictObject({
    health_check: z
      .string()
      .check(z.minLength(1), z.describe('A Route 53 health check that must stay healthy')),
  }),
  z.strictObject({
    step: z.string().check(z.minLength(1), z.describe('A step whose check is re-run during the bake')),
  }),
])

export type ShiftGate = z.infer<typeof Gate>

export const shiftParams = z
  .strictObject({
    zone: z.string().check(z.minLength(1), z.describe('The Route 53 hosted zone id')),
    record: RecordRef,
    from: SetIdentifier.check(z.describe('SetIdentifier of the weighted record traffic leaves')),
    to: SetIdentifier.check(z.describe('SetIdentifier of the weighted record traffic moves to')),
    stages: z
      .array(z.int().check(z.gte(1), z.lte(100)))
      .check(
        z.minLength(1),
        z.describe('Percent of traffic on `to` after each stage, increasing, e.g. [10, 50, 100]'),
      ),
    bake: Duration.check(z.describe('How long each stage holds while the gates are read')),
    gates: z.optional(z.array(Gate).check(z.describe('What must stay healthy during every bake'))),
    poll: z.optional(Duration.check(z.describe('How often gates are read during a bake (default 10s)'))),
    on_gate_failure: z.optional(
      z
        .enum(['rollback', 'pause'])
        .check(z.describe('rollback (default): restore the weights before the shift; pause: hold them')),
    ),
  })
  .check(
    z.refine((p) => p.from !== p.to, { error: 'from and to name the same record', path: ['to'] }),
    z.refine((p) => p.stages.every((s, i) => i === 0 || s > (p.stages[i - 1] as number)), {
      error: 'stages are percents on `to` that strictly increase, e.g. [10, 50, 100]',
      path: ['stages'],
    }),
  )

export type ShiftParams = z.infer<typeof shiftParams>

export const route53Shift = defineStep({
  type: 'route53.shift',
  summary:
    'Shift weighted traffic from one record to another in stages, baking each while gates stay healthy',
  params: shiftParams,
  idempotent: () => true,
  reversible: () => true,
  usesAws: true,
  references: (p) =>
    (p.gates ?? []).flatMap((gate) => ('step' in gate ? [{ key: 'gates', step: gate.step }] : [])),
  load: () => import('./shift-step.js').then((m) => m.shiftStep),
})
