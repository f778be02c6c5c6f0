import { type FormValue, formBoolean, formInteger, formList, formStrings } from '../form-params.js'
import type { QueryParams } from '../query-endpoint.js'
import { ServiceError } from '../service-error.js'
import { applyFilters, readFilters } from './filters.js'
import type { NetworkInterface } from './network-interfaces.js'
import { dryRun, requiredString } from './request-checks.js'
import type { Ec2World } from './world.js'

const FILTERS = [
  'network-interface-id',
  'attachment.instance-id',
  'subnet-id',
  'private-ip-address',
  'addresses.private-ip-address',
]

function field(eni: NetworkInterface, name: string): string | string[] | undefined {
  switch (name) {
    case 'network-interface-id':
      return eni.id
    case 'attachment.instance-id':
      return eni.instanceId ?? []
    case 'subnet-id':
      return eni.subnetId
    case 'private-ip-address':
      return eni.primaryIp
    case 'addresses.private-ip-address':
      return [eni.primaryIp, ...eni.secondaryIps]
    default:
      return undefined
  }
}

const dnsName = (ip: string) => `ip-${ip.replaceAll('.', '-')}.ec2.internal`

function output(eni: NetworkInterface, account: string) {
  return {
    networkInterfaceId: eni.id,
    subnetId: eni.subnetId,
    availabilityZone: eni.availabilityZone,
    description: eni.description,
    ownerId: account,
    status: eni.instanceId ? 'in-use' : 'available',
    interfaceType: 'interface',
    privateIpAddress: eni.primaryIp,
    privateDnsName: dnsName(eni.primaryIp),
    sourceDestCheck: true,
    attachment: eni.instanceId
      ? { instanceId: eni.instanceId, instanceOwnerId: account, deviceIndex: 0, status: 'attached' }
      : undefined,
    privateIpAddressesSet: [eni.primaryIp, ...eni.secondaryIps].map((ip) => ({
      privateIpAddress: ip,
      privateDnsName: dnsName(ip),
      primary: ip === eni.primaryIp,
    })),
  }
}

const interfaceId = (params: QueryParams) => requiredString(params, 'NetworkInterfaceId')

/** DescribeNetworkInterfaces, AssignPrivateIpAddresses and UnassignPrivateIpAddresses over the EC2 query protocol. */
export function networkInterfaceOperations(world: Ec2World, account: () => string) {
  return {
    DescribeNetworkInterfaces(params: QueryParams) {
      const ids = formStrings(params, 'NetworkInterfaceId')
      const selected =
        ids.length > 0 ? ids.map((id) => world.interfaceOrThrow(id)) : world.networkInterfaces()
      const matching = applyFilters(selected, readFilters(formList(params, 'Filter')), field, FILTERS)
      return { networkInterfaceSet: matching.map((eni) => output(eni, account())) }
    },

    AssignPrivateIpAddresses(params: QueryParams) {
      const id = interfaceId(params)
      const ips = formStrings(params, 'PrivateIpAddress')
      const count = formInteger(params, 'SecondaryPrivateIpAddressCount')
      if (ips.length === 0 || count !== undefined)
        throw new ServiceError(
          400,
          ips.length === 0 && count === undefined ? 'MissingParameter' : 'InvalidParameterCombination',
          'Specify the private IP addresses to assign (the sandbox does not pick addresses by count)',
        )
      world.interfaceOrThrow(id)
      dryRun(params)
      const assigned = world.assignPrivateIps(id, ips, formBoolean(params, 'AllowReassignment') ?? false)
      return {
        networkInterfaceId: id,
        assignedPrivateIpAddressesSet: assigned.map((ip) => ({ privateIpAddress: ip })),
        assignedIpv4PrefixSet: [],
      }
    },

    UnassignPrivateIpAddresses(params: QueryParams) {
      const id = interfaceId(params)
      const ips = formStrings(params, 'PrivateIpAddress')
      if (ips.length === 0)
        throw new ServiceError(
          400,
          'MissingParameter',
          'The request must contain the parameter PrivateIpAddress',
        )
      world.interfaceOrThrow(id)
      dryRun(params)
      world.unassignPrivateIps(id, ips)
      return { return: true }
    },
  } satisfies Record<string, (params: Record<string, FormValue>) => unknown>
}
