// When customers were back on-prem: replayed from the change batches the sandbox's Route 53 applied,
// each stamped with the wall clock as Route 53 took it (a change is INSYNC at once in the sandbox).
import type { Route53World } from '../sandbox/aws/index.js'
import { canonicalName } from '../sandbox/aws/route53/names.js'

/** The weighted record customers resolve, and the SetIdentifier that means "on-prem". */
export interface WatchedRecord {
  zone: string
  name: string
  type: string
  onPrem: string
}

type Weights = Record<string, number>

/** All of the traffic on the on-prem record, none anywhere else. */
export const allOnPrem = (weights: Weights, onPrem: string) =>
  (weights[onPrem] ?? 0) > 0 && Object.entries(weights).every(([id, w]) => id === onPrem || w === 0)

/** The record's weights now: what the drill starts replaying from. */
export const weightsNow = (route53: Route53World, record: WatchedRecord): Weights =>
  route53.weights(record.zone, record.name, record.type)

/**
 * Milliseconds from `since` until the weights last came back to all on-prem (0 when they never
 * left), or undefined when they are not on-prem at the end.
 */
export function timeToOnPrem(
  route53: Route53World,
  record: WatchedRecord,
  start: Weights,
  since: number,
): number | undefined {
  const weights = { ...start }
  const name = canonicalName(record.name)
  let onPrem = allOnPrem(weights, record.onPrem)
  let restoredAt: number | undefined
  for (const batch of route53.history) {
    if (batch.zoneId !== record.zone) continue
    for (const { action, record: set } of batch.changes) {
      if (canonicalName(set.Name) !== name || set.Type !== record.type || set.SetIdentifier === undefined)
        continue
      if (action === 'DELETE') delete weights[set.SetIdentifier]
      else weights[set.SetIdentifier] = set.Weight ?? 0
    }
    const now = allOnPrem(weights, record.onPrem)
    if (now && !onPrem && batch.at >= since) restoredAt = batch.at
    onPrem = now
  }
  if (!onPrem) return undefined
  return restoredAt === undefined ? 0 : restoredAt - since
}
