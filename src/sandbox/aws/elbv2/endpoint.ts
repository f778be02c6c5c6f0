import { formInteger, formList, formRecord, formString, formStrings } from '../form-params.js'
import { pageWithin } from '../paging.js'
import { awsQueryService, type QueryParams } from '../query-endpoint.js'
import type { ServiceEndpoint } from '../service.js'
import { ServiceError } from '../service-error.js'
import { type Elbv2World, type LoadBalancer, REASON_DESCRIPTIONS, type TargetGroup } from './world.js'

const validation = (message: string) => new ServiceError(400, 'ValidationError', message)

/** `Marker`/`NextMarker` paging; `PageSize` is 1-400. */
const page = <T>(all: T[], params: QueryParams, query: unknown) =>
  pageWithin(all, {
    size: formInteger(params, 'PageSize') ?? 400,
    max: 400,
    member: 'pageSize',
    token: formString(params, 'Marker'),
    query,
    invalidToken: () => validation('Invalid value for the Marker parameter'),
  })

/** Only one of the ways of naming what to describe may be given. */
function oneOf(params: QueryParams, names: string[]): void {
  if (names.filter((name) => params[name] !== undefined && params[name] !== '').length > 1)
    throw validation(`You can specify only one of ${names.join(', ')}`)
}

function loadBalancerOutput(lb: LoadBalancer) {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: 'Z26RNL4JYFTOTI',
    CreatedTime: new Date(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: 'active' },
    Type: 'network',
    AvailabilityZones: lb.zones.map((z) => ({
      ZoneName: z.zone,
      SubnetId: z.subnetId,
      LoadBalancerAddresses: z.ip ? [{ IpAddress: z.ip, AllocationId: z.allocationId }] : [],
    })),
    IpAddressType: 'ipv4',
  }
}

function targetGroupOutput(group: TargetGroup) {
  return {
    TargetGroupArn: group.arn,
    TargetGroupName: group.name,
    Protocol: group.protocol,
    Port: group.port,
    VpcId: group.vpcId,
    HealthCheckProtocol: group.healthCheckPath ? 'HTTP' : 'TCP',
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: 30,
    HealthCheckTimeoutSeconds: 10,
    HealthyThresholdCount: 5,
    UnhealthyThresholdCount: 2,
    HealthCheckPath: group.healthCheckPath,
    LoadBalancerArns: group.loadBalancerArns,
    TargetType: group.targetType,
    IpAddressType: 'ipv4',
  }
}

export function elbv2Endpoint(world: Elbv2World): ServiceEndpoint {
  return awsQueryService(
    {
      name: 'elbv2',
      signingName: 'elasticloadbalancing',
      namespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
      version: '2015-12-01',
    },
    {
      DescribeLoadBalancers(params) {
        oneOf(params, ['LoadBalancerArns', 'Names'])
        const arns = formStrings(params, 'LoadBalancerArns')
        const names = formStrings(params, 'Names')
        const all = world.loadBalancers()
        const wanted = [...arns, ...names]
        const found = all.filter((lb) => arns.includes(lb.arn) || names.includes(lb.name))
        if (wanted.length > 0 && found.length < wanted.length)
          throw new ServiceError(400, 'LoadBalancerNotFound', 'One or more load balancers not found')
        const { items, nextToken } = page(wanted.length > 0 ? found : all, params, { arns, names })
        return { LoadBalancers: items.map(loadBalancerOutput), NextMarker: nextToken }
      },

      DescribeTargetGroups(params) {
        oneOf(params, ['LoadBalancerArn', 'TargetGroupArns', 'Names'])
        const arns = formStrings(params, 'TargetGroupArns')
        const names = formStrings(params, 'Names')
        const lbArn = formString(params, 'LoadBalancerArn')
        if (lbArn !== undefined && !world.loadBalancers().some((lb) => lb.arn === lbArn))
          throw new ServiceError(400, 'LoadBalancerNotFound', `Load balancer '${lbArn}' not found`)
        const wanted = [...arns, ...names]
        const all = world.targetGroups()
        const found = all.filter(
          (g) =>
            arns.includes(g.arn) ||
            names.includes(g.name) ||
            (lbArn !== undefined && g.loadBalancerArns.includes(lbArn)),
        )
        if (wanted.length > 0 && found.length < wanted.length)
          throw new ServiceError(400, 'TargetGroupNotFound', 'One or more target groups not found')
        const chosen = wanted.length > 0 || lbArn !== undefined ? found : all
        const { items, nextToken } = page(chosen, params, { arns, names, lbArn })
        return { TargetGroups: items.map(targetGroupOutput), NextMarker: nextToken }
      },

      DescribeTargetHealth(params) {
        const arn = formString(params, 'TargetGroupArn')
        if (!arn)
          throw validation(
            "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null",
          )
        const group = world.targetGroups().find((g) => g.arn === arn)
        if (!group) throw new ServiceError(400, 'TargetGroupNotFound', `Target groups '${arn}' not found`)
        const asked = formList(params, 'Targets').map((entry, i) => {
          const target = formRecord(entry, `Targets.member.${i + 1}`)
          const id = formString(target, 'Id')
          if (!id) throw validation('A target ID must be specified')
          return { id, port: formInteger(target, 'Port') }
        })
        const registered = group.targets.filter(
          (t) => asked.length === 0 || asked.some((a) => a.id === t.id && (a.port ?? t.port) === t.port),
        )
        // A target asked about by id that is not registered is reported, not an error.
        const unregistered = asked
          .filter((a) => !group.targets.some((t) => t.id === a.id))
          .map((a) => ({
            id: a.id,
            port: a.port ?? group.port,
            state: 'unused',
            reason: 'Target.NotRegistered',
          }))
        return {
          TargetHealthDescriptions: [...registered, ...unregistered].map((t) => ({
            Target: {
              Id: t.id,
              Port: t.port,
              ...('availabilityZone' in t ? { AvailabilityZone: t.availabilityZone } : {}),
            },
            HealthCheckPort: String(t.port),
            TargetHealth: {
              State: t.state,
              Reason: t.reason,
              Description: t.reason ? REASON_DESCRIPTIONS[t.reason] : undefined,
            },
          })),
        }
      },
    },
  )
}
