// How Route 53 answers one query for a name and type, read from the sandbox's world: what a resolver
// gets back from the authoritative servers (the world is what they serve; the sandbox's changes are INSYNC at once).
import { canonicalName } from '../aws/route53/names.js'
import type { ResourceRecordSet } from '../aws/route53/records.js'
import type { Route53World } from '../aws/route53/world.js'

export interface DnsAnswer {
  /** The first value of the record set Route 53 picked (a CNAME has exactly one). */
  value: string
  /** Seconds a resolver may keep the answer. */
  ttl: number
  /** The SetIdentifier of the weighted set picked, when it was one. */
  setIdentifier?: string
}

export interface DnsQuestion {
  zoneId: string
  name: string
  type: string
}

/**
 * Weighted routing as Route 53 documents it: a set is picked with probability weight / sum of weights;
 * sets whose health check fails are left out unless every set's does; weight 0 sets answer only when
 * every candidate weighs 0, and then evenly. A name without weighted sets answers its one set.
 */
export function answerQuery(
  route53: Route53World,
  question: DnsQuestion,
  random: () => number = Math.random,
): DnsAnswer | undefined {
  const name = canonicalName(question.name)
  const sets = route53
    .records(question.zoneId)
    .filter((r) => r.Name === name && r.Type === question.type && r.ResourceRecords?.length)
  const healthy = sets.filter(
    (r) => !r.HealthCheckId || route53.healthCheck(r.HealthCheckId)?.healthy !== false,
  )
  const candidates = healthy.length > 0 ? healthy : sets
  const picked = pickWeighted(candidates, random)
  if (!picked) return undefined
  return {
    value: picked.ResourceRecords?.[0]?.Value ?? '',
    ttl: picked.TTL ?? 0,
    ...(picked.SetIdentifier === undefined ? {} : { setIdentifier: picked.SetIdentifier }),
  }
}

function pickWeighted(sets: ResourceRecordSet[], random: () => number): ResourceRecordSet | undefined {
  const total = sets.reduce((sum, r) => sum + (r.Weight ?? 0), 0)
  if (total === 0) return sets[Math.floor(random() * sets.length)]
  let point = random() * total
  for (const set of sets) {
    point -= set.Weight ?? 0
    if (point < 0) return set
  }
  return sets.findLast((r) => (r.Weight ?? 0) > 0)
}
