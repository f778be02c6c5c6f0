import {
  AssignPrivateIpAddressesCommand,
  DescribeNetworkInterfacesCommand,
  type DescribeNetworkInterfacesCommandInput,
  type EC2Client,
  type NetworkInterface,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2'
import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import type { ListenerEniParams } from './add-replica.js'

/** The ENI that should carry the IP, and whether it already does. */
export interface EniState {
  networkInterfaceId: string
  instanceId: string | undefined
  hasIp: boolean
}

const addressesOf = (eni: NetworkInterface) =>
  (eni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress).filter((a): a is string => a !== undefined)

async function describe(ec2: EC2Client, input: DescribeNetworkInterfacesCommandInput) {
  return (await ec2.send(new DescribeNetworkInterfacesCommand(input))).NetworkInterfaces ?? []
}

/** The node's ENI: by id, or the instance's device-0 interface. */
async function findEni(ec2: EC2Client, where: ListenerEniParams): Promise<NetworkInterface> {
  const found = where.network_interface
    ? await describe(ec2, { NetworkInterfaceIds: [where.network_interface] })
    : (
        await describe(ec2, { Filters: [{ Name: 'attachment.instance-id', Values: [where.instance ?? ''] }] })
      ).filter((n) => n.Attachment?.DeviceIndex === 0)
  const [eni] = found
  if (!eni?.NetworkInterfaceId)
    throw new SwitchyardError(`instance ${where.instance} has no primary network interface`, {
      hint: 'check the instance id of the SQL node on AWS, or name its ENI in listener_ip.aws.network_interface',
    })
  return eni
}

/**
 * Reads where the listener IP stands in EC2 (read-only): the ENI that should carry it and whether it does. Fails,
 * before anything changes, when another interface already holds the IP.
 */
export async function readEniState(
  ctx: StepContext,
  where: ListenerEniParams,
  ip: string,
): Promise<EniState> {
  const ec2 = await ctx.aws.ec2()
  const eni = await findEni(ec2, where)
  const id = eni.NetworkInterfaceId as string
  const holders = await describe(ec2, { Filters: [{ Name: 'addresses.private-ip-address', Values: [ip] }] })
  const other = holders.find((n) => n.NetworkInterfaceId !== id)
  if (other)
    throw new SwitchyardError(
      `listener IP ${ip} is already a private IP of ${other.NetworkInterfaceId}${other.Attachment?.InstanceId ? ` (${other.Attachment.InstanceId})` : ''}, not of the SQL node's ${id}`,
      {
        hint: 'pick a free IP in the SQL node subnet for the listener, or unassign it from that interface first',
      },
    )
  return {
    networkInterfaceId: id,
    instanceId: eni.Attachment?.InstanceId,
    hasIp: addressesOf(eni).includes(ip),
  }
}

export async function assignListenerIp(ctx: StepContext, eni: string, ip: string): Promise<void> {
  ctx.progress({ message: `assigning ${ip} to ${eni} as a secondary private IP` })
  const ec2 = await ctx.aws.ec2()
  await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eni, PrivateIpAddresses: [ip] }))
}

/** Unassigns the IP from the ENI if it is still there; says so either way. */
export async function unassignListenerIp(ctx: StepContext, eni: string, ip: string): Promise<void> {
  const ec2 = await ctx.aws.ec2()
  const [current] = await describe(ec2, { NetworkInterfaceIds: [eni] })
  if (!current || !addressesOf(current).includes(ip)) {
    ctx.progress({ message: `${ip} was already gone from ${eni}` })
    return
  }
  await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eni, PrivateIpAddresses: [ip] }))
  ctx.progress({ message: `unassigned ${ip} from ${eni}` })
}
