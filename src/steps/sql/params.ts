import * as z from 'zod/mini'
import { Identifier } from '../../runbook/schema.js'
import { Sysname } from './identifiers.js'

/** Params every availability-group step shares. */
export const AgName = Sysname.check(z.describe('The availability group, e.g. AG-GIFTCARD'))

export const SqlTargetName = (what: string) => Identifier.check(z.describe(what))

export const PrimaryTarget = SqlTargetName(
  'The sql target of the current primary replica (a direct connection, not the listener)',
)
export const ReplicaTarget = SqlTargetName('The sql target of the replica on AWS (a direct connection)')
export const ReplicaName = z.optional(
  Sysname.check(
    z.describe("The replica's name in the AG (default: the instance's SERVERPROPERTY('ServerName'))"),
  ),
)

export const Databases = z.array(Sysname).check(
  z.minLength(1),
  z.refine((names) => new Set(names).size === names.length, { error: 'a database is listed twice' }),
  z.describe('Databases of the availability group, e.g. [GiftCard, GiftCardAudit]'),
)

/** The two sql targets most SQL steps name, for the load-time check that both exist and are sql targets. */
export const primaryAndReplica = (p: { primary: string; replica: string }) => [
  { key: 'primary', target: p.primary, kind: 'sql' as const },
  { key: 'replica', target: p.replica, kind: 'sql' as const },
]
