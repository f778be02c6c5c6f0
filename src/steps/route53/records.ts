import type { ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53'
import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'

/** Route 53 answers names in lower case with a trailing dot; compare them that way. */
export const canonicalName = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`

/** Every weighted record set that shares a name and type, read page by page from where they start. */
export async function readWeightedSets(
  route53: Route53Client,
  zone: string,
  name: string,
  type: string,
): Promise<ResourceRecordSet[]> {
  const { ListResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53')
  const wanted = canonicalName(name)
  const sets: ResourceRecordSet[] = []
  let start: { name?: string; type?: string; identifier?: string } = { name: wanted, type }
  for (;;) {
    const page = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zone,
        StartRecordName: start.name,
        StartRecordType: start.type as never,
        ...(start.identifier ? { StartRecordIdentifier: start.identifier } : {}),
      }),
    )
    for (const set of page.ResourceRecordSets ?? []) {
      if (canonicalName(set.Name ?? '') !== wanted || set.Type !== type) return sets
      if (set.SetIdentifier !== undefined && set.Weight !== undefined) sets.push(set)
    }
    if (!page.IsTruncated) return sets
    start = { name: page.NextRecordName, type: page.NextRecordType, identifier: page.NextRecordIdentifier }
  }
}

/** Sends one batch of UPSERTs (all or nothing, as Route 53 applies a batch) and returns its change id. */
export async function upsertInOneBatch(
  route53: Route53Client,
  zone: string,
  sets: ResourceRecordSet[],
  comment: string,
): Promise<string> {
  const { ChangeResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53')
  const result = await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zone,
      ChangeBatch: {
        Comment: comment.slice(0, 256),
        Changes: sets.map((set) => ({ Action: 'UPSERT', ResourceRecordSet: set })),
      },
    }),
  )
  const id = result.ChangeInfo?.Id
  if (!id) throw new SwitchyardError('Route 53 accepted the change but returned no change id')
  return id
}

/** Polls GetChange until INSYNC: 250 ms, doubling to 5 s between polls; the step's timeout bounds it. */
export async function awaitInsync(route53: Route53Client, changeId: string, ctx: StepContext): Promise<void> {
  const { GetChangeCommand } = await import('@aws-sdk/client-route-53')
  let wait = 250
  for (let polls = 1; ; polls++) {
    const { ChangeInfo } = await route53.send(new GetChangeCommand({ Id: changeId }))
    if (ChangeInfo?.Status === 'INSYNC') return
    ctx.progress({
      message: `change ${changeId} ${ChangeInfo?.Status ?? 'PENDING'}, waiting for INSYNC (poll ${polls})`,
    })
    await ctx.sleep(wait)
    wait = Math.min(5000, wait * 2)
  }
}

export function describeWeights(before: Record<string, number>, after: Record<string, number>): string {
  return Object.keys(after)
    .map((id) => `${id} ${before[id] ?? '?'} -> ${after[id]}`)
    .join(', ')
}

/** The undo data of both weight steps: the zone and its records as they were before the change. */
export interface RecordsUndo {
  zone: string
  sets: ResourceRecordSet[]
}

/** What rolling back to the recorded records does: one batch restoring each weight (rollback --dry-run). */
export function describeRestore(undo: unknown[]): string[] {
  const { zone, sets } = (undo[0] as RecordsUndo | undefined) ?? { zone: '', sets: [] }
  const [first] = sets
  if (!first) return []
  const weights = sets.map((s) => `${s.SetIdentifier} ${s.Weight}`).join(', ')
  return [`restore ${first.Name?.replace(/\.$/, '')} ${first.Type} in zone ${zone} in one batch: ${weights}`]
}
