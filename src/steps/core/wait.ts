import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'

export const wait = defineStep({
  type: 'wait',
  summary: 'Hold for a fixed time, e.g. to let caches drain or DNS TTLs expire',
  params: z.strictObject({
    duration: Duration,
    reason: z.optional(z.string().check(z.describe('Shown while waiting'))),
  }),
  idempotent: () => true,
  reversible: () => true,
})
