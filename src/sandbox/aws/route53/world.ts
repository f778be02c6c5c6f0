import type { Clock } from '../clock.js'
import { upperId, uuid } from '../ids.js'
import { canonicalName } from './names.js'
import { cloneRecord, compareRecords, keyOf, type ResourceRecordSet, recordKey } from './records.js'

export interface HostedZone {
  /** Without the `/hostedzone/` prefix. */
  id: string
  name: string
  private: boolean
  callerReference: string
  nameServers: string[]
  records: Map<string, ResourceRecordSet>
}

export interface Change {
  /** Without the `/change/` prefix. */
  id: string
  submittedAt: number
  comment?: string
}

export interface AppliedChange {
  action: 'CREATE' | 'UPSERT' | 'DELETE'
  record: ResourceRecordSet
}

export interface AppliedBatch {
  changeId: string
  zoneId: string
  at: number
  comment?: string
  changes: AppliedChange[]
}

export type Route53World = ReturnType<typeof createRoute53World>

export function createRoute53World(clock: Clock) {
  const zones = new Map<string, HostedZone>()
  const healthChecks = new Map<string, { healthy: boolean }>()
  const changes = new Map<string, Change>()

  const zoneOrThrow = (zoneId: string): HostedZone => {
    const zone = zones.get(stripPrefix(zoneId, '/hostedzone/'))
    if (!zone) throw new Error(`No hosted zone ${zoneId} in the sandbox`)
    return zone
  }

  const world = {
    /** How long a change stays PENDING before GetChange reports INSYNC. */
    insyncAfterMs: 0,
    /** Every batch ChangeResourceRecordSets applied, in order. */
    history: [] as AppliedBatch[],

    /** A zone with the NS and SOA records Route 53 creates with every zone. */
    addZone(spec: { name: string; id?: string; private?: boolean }): HostedZone {
      const name = canonicalName(spec.name)
      const id = spec.id ? stripPrefix(spec.id, '/hostedzone/') : upperId('Z', 20)
      const nameServers = [
        'ns-1.awsdns-01.org.',
        'ns-2.awsdns-02.co.uk.',
        'ns-3.awsdns-03.com.',
        'ns-4.awsdns-04.net.',
      ]
      const zone: HostedZone = {
        id,
        name,
        private: spec.private ?? false,
        callerReference: uuid(),
        nameServers,
        records: new Map(),
      }
      const apex: ResourceRecordSet[] = [
        { Name: name, Type: 'NS', TTL: 172800, ResourceRecords: nameServers.map((Value) => ({ Value })) },
        {
          Name: name,
          Type: 'SOA',
          TTL: 900,
          ResourceRecords: [
            { Value: `${nameServers[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` },
          ],
        },
      ]
      for (const record of apex) zone.records.set(keyOf(record), record)
      zones.set(id, zone)
      return zone
    },

    zone(zoneId: string): HostedZone | undefined {
      return zones.get(stripPrefix(zoneId, '/hostedzone/'))
    },

    zones(): HostedZone[] {
      return [...zones.values()]
    },

    /** Seeds or replaces a record directly, as if it had always been there (no change, no history). */
    putRecord(zoneId: string, record: RecordInput): void {
      const stored = normalizeRecord(record)
      zoneOrThrow(zoneId).records.set(keyOf(stored), stored)
    },

    /** The zone's records in listing order. */
    records(zoneId: string): ResourceRecordSet[] {
      return [...zoneOrThrow(zoneId).records.values()].map(cloneRecord).sort(compareRecords)
    },

    record(
      zoneId: string,
      name: string,
      type: string,
      setIdentifier?: string,
    ): ResourceRecordSet | undefined {
      const found = zoneOrThrow(zoneId).records.get(recordKey(canonicalName(name), type, setIdentifier))
      return found && cloneRecord(found)
    },

    /** SetIdentifier → Weight for one weighted name and type: what a traffic shift changes. */
    weights(zoneId: string, name: string, type: string): Record<string, number> {
      const canonical = canonicalName(name)
      const weights: Record<string, number> = {}
      for (const record of zoneOrThrow(zoneId).records.values())
        if (record.Name === canonical && record.Type === type && record.SetIdentifier !== undefined)
          weights[record.SetIdentifier] = record.Weight ?? 0
      return weights
    },

    addHealthCheck(id: string = uuid(), healthy = true): string {
      healthChecks.set(id, { healthy })
      return id
    },

    /** Every checker reports the endpoint healthy (Success) or not (Failure); adds the check if new. */
    setHealth(id: string, healthy: boolean): void {
      healthChecks.set(id, { healthy })
    },

    healthCheck(id: string): { healthy: boolean } | undefined {
      return healthChecks.get(id)
    },

    /** Records a submitted change; its status follows from `insyncAfterMs`. */
    submitChange(comment: string | undefined): Change {
      const change: Change = { id: upperId('C'), submittedAt: clock(), ...(comment ? { comment } : {}) }
      changes.set(change.id, change)
      return change
    },

    change(id: string): Change | undefined {
      return changes.get(stripPrefix(id, '/change/'))
    },

    changeStatus(change: Change): 'PENDING' | 'INSYNC' {
      return clock() - change.submittedAt >= world.insyncAfterMs ? 'INSYNC' : 'PENDING'
    },

    /** Zones, their records and health checks as plain data; changes and batches are the request history. */
    snapshotState() {
      return {
        zones: Object.fromEntries(
          [...zones.values()].map((z) => [
            z.id,
            {
              name: z.name,
              private: z.private,
              nameServers: [...z.nameServers],
              records: Object.fromEntries(
                [...z.records.values()].map((r) => [
                  [r.Name, r.Type, r.SetIdentifier].filter((part) => part !== undefined).join(' '),
                  cloneRecord(r),
                ]),
              ),
            },
          ]),
        ),
        healthChecks: Object.fromEntries([...healthChecks].map(([id, check]) => [id, { ...check }])),
        changes: [...changes.values()].map((c) => ({ ...c })),
        history: world.history.map((b) => ({ changeId: b.changeId, zoneId: b.zoneId, at: b.at })),
      }
    },
  }
  return world
}

/** A record set as a test may write it, SDK-shaped (every field optional there). */
export interface RecordInput {
  Name?: string
  Type?: string
  SetIdentifier?: string
  Weight?: number
  TTL?: number
  ResourceRecords?: { Value?: string }[]
  AliasTarget?: { HostedZoneId?: string; DNSName?: string; EvaluateTargetHealth?: boolean }
  HealthCheckId?: string
}

function normalizeRecord(input: RecordInput): ResourceRecordSet {
  if (!input.Name || !input.Type) throw new TypeError('A record set needs a Name and a Type')
  const record: ResourceRecordSet = { Name: canonicalName(input.Name), Type: input.Type }
  if (input.SetIdentifier !== undefined) record.SetIdentifier = input.SetIdentifier
  if (input.Weight !== undefined) record.Weight = input.Weight
  if (input.TTL !== undefined) record.TTL = input.TTL
  if (input.ResourceRecords)
    record.ResourceRecords = input.ResourceRecords.map((r) => ({ Value: r.Value ?? '' }))
  if (input.AliasTarget)
    record.AliasTarget = {
      HostedZoneId: input.AliasTarget.HostedZoneId ?? '',
      DNSName: canonicalName(input.AliasTarget.DNSName ?? ''),
      EvaluateTargetHealth: input.AliasTarget.EvaluateTargetHealth ?? false,
    }
  if (input.HealthCheckId !== undefined) record.HealthCheckId = input.HealthCheckId
  return record
}

const stripPrefix = (id: string, prefix: string): string =>
  id.startsWith(prefix) ? id.slice(prefix.length) : id
