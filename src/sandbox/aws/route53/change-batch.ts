import { ServiceError } from '../service-error.js'
import { childNode, childNodes, childText, type XmlNode } from '../xml-read.js'
import { canonicalName, isInZone } from './names.js'
import { describeRecord, keyOf, type ResourceRecordSet, sameValues } from './records.js'
import type { AppliedChange, HostedZone } from './world.js'

export interface ChangeBatch {
  Changes: AppliedChange[]
  Comment?: string
}

const ACTIONS = ['CREATE', 'UPSERT', 'DELETE'] as const
const TYPES = new Set([
  'A',
  'AAAA',
  'CAA',
  'CNAME',
  'DS',
  'HTTPS',
  'MX',
  'NAPTR',
  'NS',
  'PTR',
  'SOA',
  'SPF',
  'SRV',
  'SSHFP',
  'SVCB',
  'TLSA',
  'TXT',
])
// Routing policies other than weighted: refused by name rather than silently stored as simple records.
const UNEMULATED = [
  'Region',
  'Failover',
  'GeoLocation',
  'MultiValueAnswer',
  'CidrRoutingConfig',
  'GeoProximityLocation',
  'TrafficPolicyInstanceId',
]
const MAX_RECORDS = 1000
const MAX_VALUE_CHARACTERS = 32_000
const MAX_WEIGHTED_PER_NAME = 100

const invalidInput = (messages: string[]) =>
  new ServiceError(
    400,
    'InvalidInput',
    messages.length === 1
      ? `1 validation error detected: ${messages[0]}`
      : `${messages.length} validation errors detected: ${messages.join('; ')}`,
  )

const invalidChangeBatch = (messages: string[]) =>
  new ServiceError(400, 'InvalidChangeBatch', `[${messages.join(', ')}]`)

/** Reads `<ChangeResourceRecordSetsRequest><ChangeBatch>...` as the SDK writes it. */
export function readChangeBatch(root: XmlNode): ChangeBatch {
  const batch = childNode(root, 'ChangeBatch')
  const problems: string[] = []
  if (!batch)
    throw invalidInput(["Value null at 'changeBatch' failed to satisfy constraint: Member must not be null"])
  const changeNodes = childNodes(childNode(batch, 'Changes') ?? batch, 'Change')
  if (changeNodes.length === 0)
    problems.push(
      "Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1",
    )
  const changes = changeNodes.map((node, index) =>
    readChange(node, `changeBatch.changes.${index + 1}.member`, problems),
  )
  if (problems.length > 0) throw invalidInput(problems)
  const comment = childText(batch, 'Comment')
  return { Changes: changes, ...(comment !== undefined ? { Comment: comment } : {}) }
}

function readChange(node: XmlNode, at: string, problems: string[]): AppliedChange {
  const action = childText(node, 'Action') ?? ''
  if (!(ACTIONS as readonly string[]).includes(action))
    problems.push(
      `Value '${action}' at '${at}.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]`,
    )
  const set = childNode(node, 'ResourceRecordSet')
  if (!set) {
    problems.push(
      `Value null at '${at}.resourceRecordSet' failed to satisfy constraint: Member must not be null`,
    )
    return { action: 'CREATE', record: { Name: '', Type: '' } }
  }
  return {
    action: action as AppliedChange['action'],
    record: readRecordSet(set, `${at}.resourceRecordSet`, problems),
  }
}

function readRecordSet(node: XmlNode, at: string, problems: string[]): ResourceRecordSet {
  const name = childText(node, 'Name')
  const type = childText(node, 'Type') ?? ''
  if (!name) problems.push(`Value null at '${at}.name' failed to satisfy constraint: Member must not be null`)
  if (!TYPES.has(type))
    problems.push(
      `Value '${type}' at '${at}.type' failed to satisfy constraint: Member must satisfy enum value set: [${[...TYPES].join(', ')}]`,
    )
  for (const policy of UNEMULATED)
    if (childNode(node, policy))
      problems.push(
        `'${policy}' at '${at}' is not emulated: the sandbox models simple and weighted records only`,
      )
  const record: ResourceRecordSet = { Name: canonicalName(name ?? ''), Type: type }
  const setIdentifier = childText(node, 'SetIdentifier')
  if (setIdentifier !== undefined) {
    if (setIdentifier.length < 1 || setIdentifier.length > 128)
      problems.push(
        `Value '${setIdentifier}' at '${at}.setIdentifier' failed to satisfy constraint: Member must have length between 1 and 128`,
      )
    record.SetIdentifier = setIdentifier
  }
  const weight = readInteger(node, 'Weight', `${at}.weight`, 0, 255, problems)
  if (weight !== undefined) record.Weight = weight
  const ttl = readInteger(node, 'TTL', `${at}.tTL`, 0, 2_147_483_647, problems)
  if (ttl !== undefined) record.TTL = ttl
  const values = childNode(node, 'ResourceRecords')
  if (values)
    record.ResourceRecords = childNodes(values, 'ResourceRecord').map((r) => ({
      Value: childText(r, 'Value') ?? '',
    }))
  const alias = childNode(node, 'AliasTarget')
  if (alias)
    record.AliasTarget = {
      HostedZoneId: childText(alias, 'HostedZoneId') ?? '',
      DNSName: canonicalName(childText(alias, 'DNSName') ?? ''),
      EvaluateTargetHealth: childText(alias, 'EvaluateTargetHealth') === 'true',
    }
  const healthCheckId = childText(node, 'HealthCheckId')
  if (healthCheckId !== undefined) record.HealthCheckId = healthCheckId
  return record
}

function readInteger(
  node: XmlNode,
  element: string,
  at: string,
  min: number,
  max: number,
  problems: string[],
) {
  const text = childText(node, element)
  if (text === undefined) return undefined
  const value = Number(text)
  if (!/^-?\d+$/.test(text.trim()))
    problems.push(`Value '${text}' at '${at}' failed to satisfy constraint: Member must be an integer`)
  else if (value < min)
    problems.push(
      `Value '${value}' at '${at}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
    )
  else if (value > max)
    problems.push(
      `Value '${value}' at '${at}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    )
  return value
}

/** The rules each change must meet on its own, whatever the zone holds. */
function shapeProblems(change: AppliedChange, zone: HostedZone): string[] {
  const { action, record } = change
  const shown = `[Action=${action}, Name=${record.Name}, Type=${record.Type}, SetIdentifier=${record.SetIdentifier ?? 'null'}]`
  const problems: string[] = []
  if (!isInZone(record.Name, zone.name))
    problems.push(`RRSet with DNS name ${record.Name} is not permitted in zone ${zone.name}`)
  if (record.Weight !== undefined && record.SetIdentifier === undefined)
    problems.push(`Invalid request: Missing field 'SetIdentifier' in Change with ${shown}`)
  if (record.SetIdentifier !== undefined && record.Weight === undefined)
    problems.push(
      `Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none in Change with ${shown}`,
    )
  const hasValues = record.TTL !== undefined && (record.ResourceRecords?.length ?? 0) > 0
  if (hasValues === (record.AliasTarget !== undefined))
    problems.push(
      `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found ${hasValues ? 'more than one' : 'none'} in Change with ${shown}`,
    )
  if (record.Type === 'CNAME' && (record.ResourceRecords?.length ?? 0) > 1)
    problems.push(`RRSet of type CNAME with DNS name ${record.Name} contains more than one value`)
  return problems
}

/** What the whole batch adds up to against the per-request limits; UPSERT counts double. */
function limitProblems(changes: AppliedChange[]): string[] {
  let records = 0
  let characters = 0
  for (const { action, record } of changes) {
    const factor = action === 'UPSERT' ? 2 : 1
    records += factor * (record.ResourceRecords?.length ?? 0)
    characters += factor * (record.ResourceRecords ?? []).reduce((sum, r) => sum + r.Value.length, 0)
  }
  const problems: string[] = []
  if (records > MAX_RECORDS) problems.push(`Number of records limit of ${MAX_RECORDS} exceeded`)
  if (characters > MAX_VALUE_CHARACTERS)
    problems.push(`Number of characters in Value elements limit of ${MAX_VALUE_CHARACTERS} exceeded`)
  return problems
}

/** Rules over a name once every change is in: no weighted/simple mix, no CNAME beside other types. */
function groupProblems(records: Map<string, ResourceRecordSet>, touched: Set<string>): string[] {
  const problems: string[] = []
  for (const name of touched) {
    const atName = [...records.values()].filter((r) => r.Name === name)
    const types = new Set(atName.map((r) => r.Type))
    if (types.has('CNAME') && types.size > 1)
      problems.push(
        `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name`,
      )
    for (const type of types) {
      const group = atName.filter((r) => r.Type === type)
      const weighted = group.filter((r) => r.SetIdentifier !== undefined)
      if (weighted.length > 0 && weighted.length < group.length)
        problems.push(
          `RRSet with DNS name ${name}, type ${type} cannot mix weighted records with a record that has no SetIdentifier`,
        )
      if (weighted.length > MAX_WEIGHTED_PER_NAME)
        problems.push(
          `Too many weighted records with DNS name ${name}, type ${type}: at most ${MAX_WEIGHTED_PER_NAME}`,
        )
    }
  }
  return problems
}

/**
 * Validates the whole batch against a copy of the zone, change by change in order (so DELETE
 * then CREATE of one record is a valid replacement), and returns the zone's records as they
 * would be. Throws, changing nothing, if any change fails.
 */
export function planChangeBatch(
  zone: HostedZone,
  changes: AppliedChange[],
  healthCheckExists: (id: string) => boolean,
): Map<string, ResourceRecordSet> {
  for (const { record } of changes)
    if (record.HealthCheckId !== undefined && !healthCheckExists(record.HealthCheckId))
      throw new ServiceError(
        404,
        'NoSuchHealthCheck',
        `A health check with id ${record.HealthCheckId} does not exist.`,
      )
  const problems = [...limitProblems(changes)]
  const next = new Map(zone.records)
  const seen = new Set<string>()
  const touched = new Set<string>()
  for (const change of changes) {
    const { action, record } = change
    const shape = shapeProblems(change, zone)
    if (shape.length > 0) {
      problems.push(...shape)
      continue
    }
    const key = keyOf(record)
    if (seen.has(`${action}|${key}`)) {
      problems.push(
        `The request contains an invalid set of changes for a resource record set '${record.Type} ${record.Name}'`,
      )
      continue
    }
    seen.add(`${action}|${key}`)
    touched.add(record.Name)
    const current = next.get(key)
    if (action === 'CREATE' && current)
      problems.push(`Tried to create resource record set ${describeRecord(record)} but it already exists`)
    else if (action === 'DELETE' && !current)
      problems.push(`Tried to delete resource record set ${describeRecord(record)} but it was not found`)
    else if (action === 'DELETE' && current && !sameValues(current, record))
      problems.push(
        `Tried to delete resource record set ${describeRecord(record)} but the values provided do not match the current values`,
      )
    else if (action === 'DELETE') next.delete(key)
    else next.set(key, record)
  }
  if (problems.length === 0) problems.push(...groupProblems(next, touched))
  if (problems.length > 0) throw invalidChangeBatch(problems)
  return next
}
