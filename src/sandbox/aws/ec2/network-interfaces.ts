import { inSubnet } from '../../sql/model.js'
import { ec2Id } from '../ids.js'
import { ServiceError } from '../service-error.js'

/** An ENI: its subnet, the instance it is attached to, its primary IP and the secondary IPs assigned to it. */
export interface NetworkInterface {
  id: string
  subnetId: string
  subnetCidr: string
  availabilityZone: string
  instanceId: string | null
  primaryIp: string
  secondaryIps: string[]
  description: string
}

export const NETWORK_INTERFACE_ID = /^eni-[0-9a-f]{8,17}$/

const invalidValue = (message: string) => new ServiceError(400, 'InvalidParameterValue', message)

/** The /24 a private IP sits in: the subnet an instance's primary ENI is given unless its spec names one. */
export const subnetOf = (ip: string) => `${ip.split('.').slice(0, 3).join('.')}.0/24`

export type NetworkInterfaces = ReturnType<typeof createNetworkInterfaces>

/** The sandbox's ENIs and their private IPs, answering AssignPrivateIpAddresses and UnassignPrivateIpAddresses as EC2 does. */
export function createNetworkInterfaces() {
  const interfaces = new Map<string, NetworkInterface>()
  const subnetIds = new Map<string, string>()

  const owner = (ip: string) =>
    [...interfaces.values()].find((n) => n.primaryIp === ip || n.secondaryIps.includes(ip))

  function interfaceOrThrow(id: string): NetworkInterface {
    if (!NETWORK_INTERFACE_ID.test(id))
      throw new ServiceError(
        400,
        'InvalidNetworkInterfaceId.Malformed',
        `Invalid id: "${id}" (expecting "eni-...")`,
      )
    const found = interfaces.get(id)
    if (!found)
      throw new ServiceError(
        400,
        'InvalidNetworkInterfaceID.NotFound',
        `The networkInterface ID '${id}' does not exist`,
      )
    return found
  }

  return {
    /** The primary ENI an instance launches with. */
    attachPrimary(instanceId: string, ip: string, cidr: string, availabilityZone: string): NetworkInterface {
      const subnetId = subnetIds.get(cidr) ?? ec2Id('subnet')
      subnetIds.set(cidr, subnetId)
      const eni: NetworkInterface = {
        id: ec2Id('eni'),
        subnetId,
        subnetCidr: cidr,
        availabilityZone,
        instanceId,
        primaryIp: ip,
        secondaryIps: [],
        description: `Primary network interface of ${instanceId}`,
      }
      interfaces.set(eni.id, eni)
      return eni
    },

    networkInterface: (id: string) => interfaces.get(id),

    deleteAttachedTo(instanceId: string): void {
      for (const eni of interfaces.values()) if (eni.instanceId === instanceId) interfaces.delete(eni.id)
    },

    networkInterfaces: () => [...interfaces.values()],

    interfaceOrThrow,

    /**
     * Adds secondary private IPs: each must fall in the ENI's subnet and be free, unless `allowReassignment` moves it
     * from the ENI that holds it. An IP the ENI already has is left as it is.
     */
    assignPrivateIps(id: string, ips: string[], allowReassignment: boolean): string[] {
      const eni = interfaceOrThrow(id)
      for (const ip of ips) {
        if (!inSubnet(ip, eni.subnetCidr))
          throw invalidValue(`Address ${ip} does not fall within the subnet's address range`)
        const holder = owner(ip)
        if (holder && holder !== eni && (!allowReassignment || holder.primaryIp === ip))
          throw new ServiceError(
            400,
            'PrivateIpAddressInUse',
            `The address ${ip} is already assigned to the network interface ${holder.id}`,
          )
      }
      for (const ip of ips) {
        const holder = owner(ip)
        if (holder === eni) continue
        if (holder) holder.secondaryIps = holder.secondaryIps.filter((held) => held !== ip)
        eni.secondaryIps.push(ip)
      }
      return ips
    },

    /** Removes secondary private IPs; every one must be a secondary IP of this ENI. */
    unassignPrivateIps(id: string, ips: string[]): void {
      const eni = interfaceOrThrow(id)
      const foreign = ips.filter((ip) => !eni.secondaryIps.includes(ip))
      if (foreign.length > 0)
        throw invalidValue(
          `Some of the specified addresses are not assigned to interface ${eni.id}: ${foreign.join(', ')}`,
        )
      eni.secondaryIps = eni.secondaryIps.filter((ip) => !ips.includes(ip))
    },

    snapshotState: () =>
      Object.fromEntries(
        [...interfaces.values()].map((n) => [n.id, { ...n, secondaryIps: [...n.secondaryIps] }]),
      ),
  }
}
