import type { Clock } from '../clock.js'
import type { DecodedCall, SandboxRequest, ServiceEndpoint } from '../service.js'
import { ServiceError } from '../service-error.js'
import { parseXml } from '../xml-read.js'
import { planChangeBatch, readChangeBatch } from './change-batch.js'
import { canonicalName, compareNames } from './names.js'
import { compareRecords, type ResourceRecordSet } from './records.js'
import type { Change, HostedZone, Route53World } from './world.js'

const PREFIX = '/2013-04-01'
const MAX_PAGE = 300

/** Route 53's routes: the operation and the path labels it carries. */
const ROUTES: { method: string; pattern: RegExp; operation: string }[] = [
  { method: 'POST', pattern: /^\/hostedzone\/([^/]+)\/rrset\/?$/, operation: 'ChangeResourceRecordSets' },
  { method: 'GET', pattern: /^\/hostedzone\/([^/]+)\/rrset\/?$/, operation: 'ListResourceRecordSets' },
  { method: 'GET', pattern: /^\/hostedzone\/([^/]+)\/?$/, operation: 'GetHostedZone' },
  { method: 'GET', pattern: /^\/hostedzonesbyname\/?$/, operation: 'ListHostedZonesByName' },
  { method: 'GET', pattern: /^\/change\/([^/]+)\/?$/, operation: 'GetChange' },
  { method: 'GET', pattern: /^\/healthcheck\/([^/]+)\/status\/?$/, operation: 'GetHealthCheckStatus' },
]

const CHECKER_REGIONS = [
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
]

const MEMBERS: Record<string, string> = {
  ResourceRecordSets: 'ResourceRecordSet',
  ResourceRecords: 'ResourceRecord',
  HealthCheckObservations: 'HealthCheckObservation',
  HostedZones: 'HostedZone',
  NameServers: 'NameServer',
}

function route(request: SandboxRequest): { operation: string; label: string } | undefined {
  if (!request.path.startsWith(`${PREFIX}/`)) return undefined
  const rest = request.path.slice(PREFIX.length)
  for (const { method, pattern, operation } of ROUTES) {
    const match = request.method === method ? pattern.exec(rest) : null
    if (match) return { operation, label: safeDecode(match[1] ?? '') }
  }
  return undefined
}

const changeInfo = (world: Route53World, change: Change, status = world.changeStatus(change)) => ({
  ChangeInfo: {
    Id: `/change/${change.id}`,
    Status: status,
    SubmittedAt: new Date(change.submittedAt),
    Comment: change.comment,
  },
})

const hostedZoneOutput = (zone: HostedZone) => ({
  Id: `/hostedzone/${zone.id}`,
  Name: zone.name,
  CallerReference: zone.callerReference,
  Config: { PrivateZone: zone.private },
  ResourceRecordSetCount: zone.records.size,
})

function maxItems(text: string | null, limit: number): number {
  if (text === null || text === '') return limit
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new ServiceError(400, 'InvalidInput', `MaxItems must be a positive integer, not '${text}'`)
  return Math.min(Number(text), limit)
}

export function route53Endpoint(world: Route53World, clock: Clock): ServiceEndpoint {
  const zoneOf = (id: string): HostedZone => {
    const zone = world.zone(id)
    if (!zone) throw new ServiceError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${id}`)
    return zone
  }

  function changeResourceRecordSets(zoneId: string, body: string): DecodedCall {
    let root: ReturnType<typeof parseXml>
    try {
      root = parseXml(body)
    } catch (error) {
      throw new ServiceError(
        400,
        'InvalidInput',
        `Could not parse the request body as XML: ${(error as Error).message}`,
      )
    }
    const batch = readChangeBatch(root)
    return {
      params: { HostedZoneId: zoneId, ChangeBatch: batch },
      run: () => {
        const zone = zoneOf(zoneId)
        const next = planChangeBatch(zone, batch.Changes, (id) => world.healthCheck(id) !== undefined)
        zone.records = next
        const change = world.submitChange(batch.Comment)
        world.history.push({
          changeId: change.id,
          zoneId: zone.id,
          at: change.submittedAt,
          changes: structuredClone(batch.Changes),
          ...(batch.Comment !== undefined ? { comment: batch.Comment } : {}),
        })
        // The answer to the change itself is always PENDING, as on the real service.
        return changeInfo(world, change, 'PENDING')
      },
    }
  }

  function listResourceRecordSets(zoneId: string, query: URLSearchParams): DecodedCall {
    const name = query.get('name') ?? undefined
    const type = query.get('type') ?? undefined
    const identifier = query.get('identifier') ?? undefined
    if (type !== undefined && name === undefined)
      throw new ServiceError(400, 'InvalidInput', 'The input is not valid: type was specified without name')
    if (identifier !== undefined && type === undefined)
      throw new ServiceError(
        400,
        'InvalidInput',
        'The input is not valid: identifier was specified without type',
      )
    const pageSize = maxItems(query.get('maxitems'), MAX_PAGE)
    const params = {
      HostedZoneId: zoneId,
      StartRecordName: name,
      StartRecordType: type,
      StartRecordIdentifier: identifier,
      MaxItems: pageSize,
    }
    return {
      params: withoutUndefined(params),
      run: () => {
        const records = [...zoneOf(zoneId).records.values()].sort(compareRecords)
        const start: ResourceRecordSet | undefined =
          name === undefined
            ? undefined
            : { Name: canonicalName(name), Type: type ?? '', SetIdentifier: identifier ?? '' }
        const from = start === undefined ? 0 : records.findIndex((r) => atOrAfter(r, start))
        const rest = from < 0 ? [] : records.slice(from)
        const page = rest.slice(0, pageSize)
        const next = rest[pageSize]
        return {
          ResourceRecordSets: page,
          IsTruncated: next !== undefined,
          NextRecordName: next?.Name,
          NextRecordType: next?.Type,
          NextRecordIdentifier: next?.SetIdentifier,
          MaxItems: pageSize,
        }
      },
    }
  }

  function listHostedZonesByName(query: URLSearchParams): DecodedCall {
    const dnsName = query.get('dnsname') ?? undefined
    const zoneId = query.get('hostedzoneid') ?? undefined
    if (zoneId !== undefined && dnsName === undefined)
      throw new ServiceError(
        400,
        'InvalidInput',
        'The input is not valid: hostedzoneid was specified without dnsname',
      )
    const pageSize = maxItems(query.get('maxitems'), 100)
    return {
      params: withoutUndefined({ DNSName: dnsName, HostedZoneId: zoneId, MaxItems: pageSize }),
      run: () => {
        const zones = world
          .zones()
          .sort((a, b) => compareNames(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        const from =
          dnsName === undefined
            ? 0
            : zones.findIndex(
                (z) =>
                  compareNames(z.name, canonicalName(dnsName)) >= 0 &&
                  (zoneId === undefined || z.name !== canonicalName(dnsName) || z.id >= zoneId),
              )
        const rest = from < 0 ? [] : zones.slice(from)
        const next = rest[pageSize]
        return {
          HostedZones: rest.slice(0, pageSize).map(hostedZoneOutput),
          DNSName: dnsName,
          HostedZoneId: zoneId,
          IsTruncated: next !== undefined,
          NextDNSName: next?.name,
          NextHostedZoneId: next?.id,
          MaxItems: pageSize,
        }
      },
    }
  }

  function getHealthCheckStatus(id: string): DecodedCall {
    return {
      params: { HealthCheckId: id },
      run: () => {
        const check = world.healthCheck(id)
        if (!check)
          throw new ServiceError(404, 'NoSuchHealthCheck', `A health check with id ${id} does not exist.`)
        const checkedTime = new Date(clock())
        return {
          HealthCheckObservations: CHECKER_REGIONS.map((region, i) => ({
            Region: region,
            IPAddress: `54.0.0.${i + 1}`,
            StatusReport: {
              Status: check.healthy
                ? 'Success: HTTP Status Code 200, OK'
                : 'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.',
              CheckedTime: checkedTime,
            },
          })),
        }
      },
    }
  }

  return {
    name: 'route53',
    protocol: 'restXml',
    signingName: 'route53',
    namespace: 'https://route53.amazonaws.com/doc/2013-04-01/',
    memberName: (list) => MEMBERS[list] ?? 'member',
    throttle: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
    recognises: (request) => request.path.startsWith(`${PREFIX}/`),
    operationOf: (request) => route(request)?.operation,
    decode(request, operation) {
      const label = route(request)?.label ?? ''
      switch (operation) {
        case 'ChangeResourceRecordSets':
          return changeResourceRecordSets(label, request.body)
        case 'ListResourceRecordSets':
          return listResourceRecordSets(label, request.query)
        case 'GetHostedZone':
          return {
            params: { Id: label },
            run: () => {
              const zone = zoneOf(label)
              return { HostedZone: hostedZoneOutput(zone), DelegationSet: { NameServers: zone.nameServers } }
            },
          }
        case 'ListHostedZonesByName':
          return listHostedZonesByName(request.query)
        case 'GetChange':
          return {
            params: { Id: label },
            run: () => {
              const change = world.change(label)
              if (!change)
                throw new ServiceError(
                  404,
                  'NoSuchChange',
                  `A change with the specified change ID does not exist: ${label}`,
                )
              return changeInfo(world, change)
            },
          }
        case 'GetHealthCheckStatus':
          return getHealthCheckStatus(label)
        default:
          throw new ServiceError(400, 'InvalidAction', `The sandbox does not emulate Route 53 ${operation}`)
      }
    },
  }
}

/** Log params hold only what the request carried. */
const withoutUndefined = (params: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined))

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** True when a record sorts at or after the start position of a listing. */
function atOrAfter(record: ResourceRecordSet, start: ResourceRecordSet): boolean {
  const byName = compareNames(record.Name, start.Name)
  if (byName !== 0) return byName > 0
  if (start.Type === '') return true
  if (record.Type !== start.Type) return record.Type > start.Type
  return (record.SetIdentifier ?? '') >= (start.SetIdentifier ?? '')
}
