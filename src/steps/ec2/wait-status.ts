import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import { InstanceIds } from './instance-ids.js'

export const waitStatusParams = z.strictObject({
  instances: InstanceIds,
  poll: z.optional(Duration.check(z.describe('Time between status reads (default 15s)'))),
})

export type WaitStatusParams = z.infer<typeof waitStatusParams>

export const ec2WaitStatus = defineStep({
  type: 'ec2.wait-status',
  summary: 'Wait until instances are running with both EC2 status checks (system and instance) ok',
  params: waitStatusParams,
  idempotent: () => true,
  readOnly: true,
  reversible: () => true,
  usesAws: true,
  load: () => import('./wait-status-step.js').then((m) => m.waitStatusStep),
})
