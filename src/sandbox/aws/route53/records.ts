import { compareNames } from './names.js'

/** A record set as the SDK shapes it; only simple and weighted routing are emulated. */
export interface ResourceRecordSet {
  Name: string
  Type: string
  SetIdentifier?: string
  Weight?: number
  TTL?: number
  ResourceRecords?: { Value: string }[]
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean }
  HealthCheckId?: string
}

export const recordKey = (name: string, type: string, setIdentifier?: string): string =>
  `${name}|${type}|${setIdentifier ?? ''}`

export const keyOf = (record: ResourceRecordSet): string =>
  recordKey(record.Name, record.Type, record.SetIdentifier)

/** Listing order: reversed-label name, then type, then set identifier. */
export function compareRecords(a: ResourceRecordSet, b: ResourceRecordSet): number {
  return (
    compareNames(a.Name, b.Name) ||
    compareText(a.Type, b.Type) ||
    compareText(a.SetIdentifier ?? '', b.SetIdentifier ?? '')
  )
}

const compareText = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1)

/** How Route 53 names a record set in its error messages. */
export function describeRecord(record: Pick<ResourceRecordSet, 'Name' | 'Type' | 'SetIdentifier'>): string {
  const identifier = record.SetIdentifier === undefined ? '' : `, set-identifier='${record.SetIdentifier}'`
  return `[name='${record.Name}', type='${record.Type}'${identifier}]`
}

/** A DELETE must name the record exactly as it is: every value, TTL, weight and health check. */
export function sameValues(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  const values = (r: ResourceRecordSet) => (r.ResourceRecords ?? []).map((v) => v.Value).sort()
  return (
    a.TTL === b.TTL &&
    a.Weight === b.Weight &&
    a.HealthCheckId === b.HealthCheckId &&
    JSON.stringify(values(a)) === JSON.stringify(values(b)) &&
    JSON.stringify(a.AliasTarget ?? null) === JSON.stringify(b.AliasTarget ?? null)
  )
}

export const cloneRecord = (record: ResourceRecordSet): ResourceRecordSet => structuredClone(record)
