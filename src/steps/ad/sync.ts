import * as z from 'zod/mini'
import { Duration, Identifier } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import { ManagedInstanceIds } from '../ec2/instance-ids.js'

/** The class shortcuts and the AD filters they stand for. */
export const CLASS_FILTERS: Readonly<Record<string, string>> = {
  user: '(&(objectCategory=person)(objectClass=user))',
  group: '(objectClass=group)',
  computer: '(objectClass=computer)',
}

const TOLERANCE = /^(0|[1-9][0-9]*)(\.[0-9]+)?%$/

const Count = z
  .strictObject({
    base: z
      .string()
      .check(z.minLength(1), z.describe('The DN to count below (subtree), e.g. OU=Staff,DC=corp,DC=example')),
    class: z.optional(
      z.string().check(
        z.regex(/^[A-Za-z][A-Za-z0-9-]*$/, {
          error: 'class is user, group, computer or an objectClass name',
        }),
        z.describe('user, group, computer, or any objectClass (becomes (objectClass=<class>))'),
      ),
    ),
    filter: z.optional(
      z.string().check(
        z.regex(/^\(.*\)$/s, {
          error: 'a filter is an LDAP filter in parentheses, e.g. (objectClass=user)',
        }),
        z.describe(
          'An LDAP filter instead of class, e.g. (&(objectClass=user)(!(isCriticalSystemObject=TRUE)))',
        ),
      ),
    ),
    tolerance: z.optional(
      z
        .union([
          z.int().check(z.minimum(0)),
          z
            .string()
            .check(
              z.regex(TOLERANCE, { error: "a tolerance is a whole number or a percentage, e.g. 5 or '1%'" }),
            ),
        ])
        .check(
          z.describe(
            "How far the counts may differ: a number of objects or a percentage of the source's (default 0)",
          ),
        ),
    ),
    sample: z.optional(
      z
        .int()
        .check(
          z.minimum(0),
          z.maximum(1000),
          z.describe('How many objects missing on the target to list (default 10)'),
        ),
    ),
  })
  .check(
    z.refine((c) => (c.class === undefined) !== (c.filter === undefined), {
      error: 'a count names exactly one of class or filter',
    }),
  )

export const adSyncParams = z
  .strictObject({
    source: Identifier.check(
      z.describe(
        'The ldap target where the canary is written: the on-premises DC (the change originates there)',
      ),
    ),
    target: Identifier.check(z.describe('The ldap target that must receive the change: the DC in AWS')),
    canary: z.optional(
      z
        .strictObject({
          dn: z
            .string()
            .check(
              z.minLength(1),
              z.describe('An object switchyard may write to, e.g. a contact in the migration OU'),
            ),
          attribute: z.optional(
            z.string().check(
              z.regex(/^[A-Za-z][A-Za-z0-9-]*$/, {
                error: 'an attribute name holds letters, digits and -',
              }),
              z.describe(
                'A string attribute of the canary object holding no value but the canary (default description); plan refuses one that holds another value',
              ),
            ),
          ),
        })
        .check(
          z.describe('Write a unique value on source, wait until target shows it; the latency is measured'),
        ),
    ),
    counts: z.optional(
      z
        .array(Count)
        .check(
          z.minLength(1),
          z.describe('Object counts compared between source and target, with a sample of what is missing'),
        ),
    ),
    trigger: z.optional(
      z
        .strictObject({
          // One SSM command (50 instances at most) is all the trigger sends and reads back.
          instances: ManagedInstanceIds.check(
            z.maxLength(50, { error: 'a trigger runs on at most 50 servers (one SSM command)' }),
            z.describe(
              'SSM instance ids: the DC to run repadmin on, or the Entra Connect server (at most 50)',
            ),
          ),
          method: z.optional(
            z
              .enum(['repadmin', 'entra-delta'])
              .check(
                z.describe(
                  'repadmin /syncall /AdeP then /showrepl (default), or an Entra Connect delta sync cycle',
                ),
              ),
          ),
        })
        .check(
          z.describe(
            'Start replication through SSM Run Command before checking, and fail on reported failures',
          ),
        ),
    ),
    timeout: z.optional(
      Duration.check(z.describe('How long to wait for the canary on the target (default 5m)')),
    ),
    poll: z.optional(Duration.check(z.describe('Time between reads of the target (default 1s)'))),
  })
  .check(
    z.refine((p) => p.canary !== undefined || p.counts !== undefined, {
      error: 'ad.sync needs a canary, counts, or both: otherwise it proves nothing',
    }),
    z.refine((p) => p.source !== p.target, { error: 'source and target are the same target' }),
  )

export type AdSyncParams = z.infer<typeof adSyncParams>

export const adSync = defineStep({
  type: 'ad.sync',
  summary:
    'Prove directory replication: optionally trigger it, then a canary write with its latency, and object counts',
  params: adSyncParams,
  idempotent: () => true,
  // Nothing to undo: the canary value is harmless and replication is not reversed; rollback passes over it.
  reversible: () => true,
  targets: (p) => [
    { key: 'source', target: p.source, kind: 'ldap' },
    { key: 'target', target: p.target, kind: 'ldap' },
  ],
  usesAws: (p) => p.trigger !== undefined,
  load: () => import('./sync-step.js').then((m) => m.adSyncStep),
})
