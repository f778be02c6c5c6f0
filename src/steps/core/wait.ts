import { z } from 'zod'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'

export const wait = defineStep({
  type: 'wait',
  summary: 'Hold for a fixed time, e.g. to let caches drain or DNS TTLs expire',
  params: z.strictObject({
    duration: Duration,
    reason: z.string().optional().describe('Shown while waiting'),
  }),
  idempotent: () => true,
  reversible: () => true,
})
