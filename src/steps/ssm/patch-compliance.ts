import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import { ManagedInstanceIds } from '../ec2/instance-ids.js'

export const patchComplianceParams = z
  .strictObject({
    instances: z.optional(ManagedInstanceIds),
    tags: z.optional(
      z.record(z.string().check(z.minLength(1)), z.string()).check(
        z.refine((tags) => Object.keys(tags).length > 0, { error: 'tags names at least one tag' }),
        z.describe(
          'Instances by tag, as SSM knows them (EC2 and on-premises mi- alike), e.g. { Role: sql, Env: prod }',
        ),
      ),
    ),
    max_scan_age: z.optional(
      Duration.check(
        z.describe('A Patch Manager scan older than this fails, e.g. 168h: an old scan proves little'),
      ),
    ),
  })
  .check(
    z.refine((p) => (p.instances === undefined) !== (p.tags === undefined), {
      error: 'name the instances by instances (ids) or by tags, one of the two',
    }),
  )

export type PatchComplianceParams = z.infer<typeof patchComplianceParams>

export const ssmPatchCompliance = defineStep({
  type: 'ssm.patch-compliance',
  summary:
    'Check that instances (EC2 and mi-) are COMPLIANT with their patch baseline, listing missing critical and security patches when not (read-only)',
  params: patchComplianceParams,
  idempotent: () => true,
  readOnly: true,
  reversible: () => true,
  usesAws: true,
  load: () => import('./patch-compliance-step.js').then((m) => m.patchComplianceStep),
})
