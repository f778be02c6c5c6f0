import type { AwsSandbox } from '../../src/sandbox/aws/index.ts'
import { createIisFleet, startIisSandbox } from '../../src/sandbox/windows/iis.ts'

/**
 * IIS web servers in the sandbox: one EC2 instance per loopback address (tagged Role: `role`), its
 * /health endpoint, and its app pool answering SSM's server-side checks. Close `iis` after the tests.
 */
export async function startWebTier(
  world: AwsSandbox['world'],
  addresses: number[],
  role: string,
  pool: string,
) {
  const fleet = createIisFleet()
  world.ssm.respond(fleet.responder)
  const ids: string[] = []
  const endpoints = addresses.map((n) => {
    const instance = world.ec2.addInstance({ privateIp: `127.0.1.${n}`, tags: { Role: role } })
    fleet.addServer(instance.id, { appPools: { [pool]: 'Started' }, durationMs: 20 })
    ids.push(instance.id)
    return { instanceId: instance.id, address: instance.privateIp }
  })
  return { iis: await startIisSandbox({ instances: endpoints, fleet }), ids }
}
